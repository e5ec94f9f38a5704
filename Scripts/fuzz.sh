#!/bin/bash
# Builds the libFuzzer targets of Fuzz/ with the address sanitizer and runs each one in turn.
#
#   Scripts/fuzz.sh [seconds-per-target] [target...]
#   Scripts/fuzz.sh 600                       # ten minutes each, all four targets
#   FUZZ_RUNS=1000000 Scripts/fuzz.sh 0 FuzzHTTPRequest   # a number of inputs instead of a time
#
# Targets (in this order by default): FuzzProfileDecoder, FuzzProfileModel, FuzzHTTPRequest,
# FuzzELFSymbolizer; see Fuzz/README.md. One fuzzer runs at a time, on one core.
#
# Corpora grow in $FUZZ_SCRATCH/corpus/<target> (default .build-fuzz, ignored by git) and start
# from the seeds in Fuzz/Seeds and the Go profiles of the profile tests. Crashes, leaks, OOMs
# and timeouts are written to $FUZZ_SCRATCH/artifacts/<target>-*; the script ends with status
# 1 when any run found one. Reproduce one with
#   .build-fuzz/release/<target> <artifact>    (FuzzHTTPRequest: .build-fuzz-fuzzer-only/release/...)
# and keep it as a regression test (Tests/*/FuzzRegressionTests.swift).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzProfileDecoder FuzzProfileModel FuzzHTTPRequest FuzzELFSymbolizer)
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
runs="${FUZZ_RUNS:-}"

# Same dependency versions as the main package, resolved from the local cache.
[ -f Fuzz/Package.resolved ] || { [ -f Package.resolved ] && cp Package.resolved Fuzz/Package.resolved; }

# Release with sanitizers: -sanitize=fuzzer adds coverage and links libFuzzer (each target calls
# LLVMFuzzerRunDriver from its own main); gold fails on these objects, lld links them.
# FuzzHTTPRequest links the memprof malloc hook, which interposes malloc as ASan does (ASan
# crashes in its own start-up then): it is built without ASan, in a scratch directory of its
# own. Its code is Swift, checked for traps and overflows without ASan.
binary() {  # the executable of target $1
    if [ "$1" = FuzzHTTPRequest ]; then echo "$scratch-fuzzer-only/release/$1"; else echo "$scratch/release/$1"; fi
}
mkdir -p "$scratch/logs"
for target in "${targets[@]}"; do
    sanitizers=fuzzer,address dir="$scratch"
    [ "$target" = FuzzHTTPRequest ] && sanitizers=fuzzer dir="$scratch-fuzzer-only"
    echo "== building $target (-sanitize=$sanitizers)"
    if ! swift build -c release --package-path Fuzz --scratch-path "$dir" --product "$target" \
        -Xswiftc -sanitize="$sanitizers" -Xswiftc -parse-as-library \
        -Xcc -fsanitize="${sanitizers/fuzzer/fuzzer-no-link}" -Xswiftc -use-ld=lld >"$scratch/logs/build-$target.log" 2>&1; then
        grep -E "error" "$scratch/logs/build-$target.log" | head -5 >&2
        echo "build of $target failed (log: $scratch/logs/build-$target.log); not fuzzing an old binary" >&2
        exit 2
    fi
    grep -E "complete" "$scratch/logs/build-$target.log" || true
done

found=0
mkdir -p "$scratch/artifacts" "$scratch/logs"
for target in "${targets[@]}"; do
    case "$target" in
        FuzzProfileDecoder|FuzzProfileModel)
            seeds=(Fuzz/Seeds/profile Tests/MemprofProfileTests/Fixtures/go Tests/MemprofProfileTests/Fixtures/fuzz)
            max_len=8192 ;;
        FuzzHTTPRequest)
            seeds=(Fuzz/Seeds/http); max_len=2048 ;;
        FuzzELFSymbolizer)
            seeds=(Fuzz/Seeds/elf); max_len=16384 ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    corpus="$scratch/corpus/$target"
    mkdir -p "$corpus"
    existing=()
    for dir in "${seeds[@]}"; do [ -d "$dir" ] && existing+=("$dir"); done
    limit=(-max_total_time="$seconds") amount="$seconds s"
    [ -n "$runs" ] && limit=(-runs="$runs") amount="$runs inputs"
    log="$scratch/logs/$target-$(date -u +%Y%m%dT%H%M%S).log"
    echo "== fuzzing $target ($amount), log in $log"
    before=$(ls "$scratch/artifacts" | grep -c "^$target-" || true)
    # The Swift backtracer would fight ASan's own report; leaks are checked by libFuzzer.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        "$(binary "$target")" "${limit[@]}" -max_len="$max_len" -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target-" \
        "$corpus" "${existing[@]}" >"$log" 2>&1 || true
    grep -E "^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" || true
    after=$(ls "$scratch/artifacts" | grep -c "^$target-" || true)
    if [ "$after" -gt "$before" ]; then
        found=1
        echo "!! $target: $((after - before)) new artifact(s) in $scratch/artifacts:"
        grep -E "ERROR|Fatal error|precondition|SUMMARY" "$log" | head -5
    fi
done
exit $found
