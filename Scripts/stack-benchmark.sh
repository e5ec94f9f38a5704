#!/usr/bin/env bash
# Stack completeness and cost of sampled stacks (release build).
#   1. For a Swift program calling into glibc (Tests/MemprofCLITests/Support/glibc_stacks.swift),
#      python3, `git log -p` in this repository and a C program built with
#      -fomit-frame-pointer: the share of allocated bytes and of samples whose stacks reach
#      main, a thread's start routine or the dynamic loader's entry, at --rate 1 (and the
#      share cut at the 128-frame limit, which is not a failure of the unwinder).
#   2. Wall-clock ratios on a single-thread allocation-heavy program (memprof-workload churn
#      2000000, and st-churn 8000000): `memprof run --rate 1 -o`, `memprof run -o` (default
#      rate) and heaptrack, each against a plain run, from paired runs that alternate
#      (plain, variant, plain, ...): medians with min-max.
#   3. callgrind: instructions per allocation at rate 1 (the sampled path with its unwind), and
#      per malloc+free pair of st-churn.
# Usage: Scripts/stack-benchmark.sh [repetitions]   (default 5)
#        SCRATCH=.build-x Scripts/stack-benchmark.sh   (another build directory)
#        STACKS_ONLY=1 Scripts/stack-benchmark.sh      (section 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
reps=${1:-5}
scratch=${SCRATCH:-.build}
for tool in heaptrack valgrind go python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install heaptrack valgrind golang-go python3)" >&2; exit 1; }
done
for p in memprof memprof-workload; do swift build -c release --scratch-path "$scratch" --product $p >/dev/null; done
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
lib=$bin/swift-memprof_memprof.resources/libmemprof_preload.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work GOCACHE=$work/gocache PPROF_TMPDIR=$work

support=Tests/MemprofCLITests/Support
/opt/swift/usr/bin/swiftc -O -g -o "$work/glibc_stacks" $support/glibc_stacks.swift
/opt/swift/usr/bin/swiftc -O -g -import-objc-header $support/sqlite_zlib_stacks.h -o "$work/sqlite_zlib_stacks" \
  $support/sqlite_zlib_stacks.swift -lsqlite3 -lz
[[ -f /usr/include/openssl/ssl.h ]] && /opt/swift/usr/bin/swiftc -O -g -import-objc-header $support/openssl_stacks.h \
  -o "$work/openssl_stacks" $support/openssl_stacks.swift -lssl -lcrypto
cc -O2 -fomit-frame-pointer -g -o "$work/omit_fp" $support/omit_fp_stacks.c -lpthread -ldl
cc -O2 -fomit-frame-pointer -g -shared -fPIC -o "$work/libpa.so" $support/omit_fp_plugin.c
cc -O2 -fomit-frame-pointer -g -shared -fPIC -DPADDING=300 -o "$work/libpb.so" $support/omit_fp_plugin.c
python=$(command -v python3)
[[ $python == */shims/* ]] && python=$(pyenv which python3)  # pyenv's shim is a shell script

# complete FILE: the shares of a profile's bytes and samples whose stacks reach a root.
complete() {
  go tool pprof -raw "$1" 2>/dev/null | awk '
    /^Samples:/ { mode = "s"; next }
    /^Locations/ { mode = "l"; next }
    /^Mappings/ { mode = "m"; next }
    mode == "s" && /:/ && $1 ~ /^[0-9]+$/ { n++; split($0, p, ":"); split(p[1], v, " "); count[n] = v[1]; bytes[n] = v[2]; stack[n] = p[2]; next }
    mode == "l" && /^ *[0-9]+: 0x/ { id = $1; sub(":", "", id); cur = id; m = ($3 ~ /^M=/); fn[id] = m ? $4 : $3; map[id] = m ? $3 : ""; next }
    mode == "l" && cur != "" && /^  +[^ ]/ { fn[cur] = fn[cur] " " $1; next }
    mode == "m" && /^ *[0-9]+: / { m = $1; sub(":", "", m); file["M=" m] = $3 }
    END {
      split("main __libc_start_call_main __libc_start_main _start start_thread clone3 clone", r, " ")
      for (i in r) roots[r[i]]
      for (i = 1; i <= n; i++) {
        k = split(stack[i], ids, " "); ok = 0
        if (k > 0 && fn[ids[1]] ~ /^\[memprof/) continue  # the profiler own memory: not a stack
        for (j = 1; j <= k && !ok; j++) { c = split(fn[ids[j]], f, " "); for (x = 1; x <= c; x++) if (f[x] in roots) ok = 1 }
        if (!ok && k > 0 && file[map[ids[k]]] ~ /ld-linux/) ok = 1
        total += bytes[i]; all += count[i]
        if (ok) { good += bytes[i]; goodn += count[i] } else if (k >= 128) { cut += bytes[i]; cutn += count[i] }
      }
      if (all == 0 || total == 0) { print "no samples"; exit }
      printf "%6.2f%% of bytes, %6.2f%% of %d allocations reach main or a thread root; cut at 128 frames: %.2f%% of allocations\n",
             100 * good / total, 100 * goodn / all, all, 100 * cutn / all
    }'
}

echo "== 1. stacks that reach main (memprof run --rate 1 -o)"
share() {
  local name=$1; shift
  "$bin/memprof" run --rate 1 -o "$work/s.pb.gz" -- "$@" >/dev/null 2>"$work/err" || { echo "  $name: failed"; cat "$work/err"; return; }
  printf '  %-26s %s\n' "$name" "$(complete "$work/s.pb.gz")"
  heaptrack -r -o "$work/hs" "$@" >/dev/null 2>&1
  local raw; raw=$(ls "$work"/hs.raw.*)
  if [[ $raw == *.zst ]]; then zstd -qdc "$raw" >"$work/hs.txt"; else gzip -dc "$raw" >"$work/hs.txt"; fi
  go tool pprof -raw "$work/s.pb.gz" 2>/dev/null >"$work/s.txt"
  printf '  %-26s %s\n' "" "$(python3 Scripts/heaptrack_frames.py "$work/s.txt" "$work/hs.txt")"
  rm -f "$work"/hs.*
}
share "Swift + glibc example" "$work/glibc_stacks"
share "Swift + SQLite and zlib" "$work/sqlite_zlib_stacks"
[[ -x $work/openssl_stacks ]] && share "Swift + OpenSSL" "$work/openssl_stacks"
share "python3 (json, re, sort)" "$python" -c '
import json, re
rows = [{"id": i, "name": "n%d" % i, "tags": ["t%d" % (i % 7)] * 3} for i in range(50000)]
text = json.dumps(rows)
back = json.loads(text)
words = re.findall(r"n\d+", text)
print(len(back), len(sorted(words)))'
share "git log -p (this repo)" git -C "$root" log -p --no-color
share "C, -fomit-frame-pointer" "$work/omit_fp" "$work/libpa.so" "$work/libpb.so"

[[ -n ${STACKS_ONLY:-} ]] && exit 0

echo "== 2. wall-clock ratio to a plain run (median of $reps paired runs, min-max)"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
source Scripts/paired-runs.sh  # (the script runs from the package root)
for program in "churn 2000000" "st-churn 8000000"; do
  read -r name arg <<<"$program"
  plain=("$bin/memprof-workload" "$name" "$arg")
  echo "$program (plain: $(( $(wall "${plain[@]}") / 1000000 )) ms):"
  paired "memprof run -o (default rate)" "${plain[@]}" -- "$bin/memprof" run -o "$work/d.pb.gz" -- "${plain[@]}"
  paired "memprof run --rate 1 -o" "${plain[@]}" -- "$bin/memprof" run --rate 1 -o "$work/r1.pb.gz" -- "${plain[@]}"
  paired "heaptrack" "${plain[@]}" -- heaptrack -o "$work/ht" "${plain[@]}"
  rm -f "$work"/ht*
  echo "  stacks at rate 1: $(complete "$work/r1.pb.gz")"
done

echo "== 3. callgrind: instructions per allocation (churn 100000) and per pair (st-churn 1000000)"
instructions() {
  env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin/memprof-workload" churn 100000 >/dev/null 2>&1
  awk '/^summary:/ { print $2 }' "$work/cg"
}
allocs=$("$bin/memprof" run --summary-json "$work/sum.json" -- "$bin/memprof-workload" churn 100000 >/dev/null 2>&1; \
         grep -o '"allocations": *[0-9]*' "$work/sum.json" | grep -o '[0-9]*$')
plain=$(instructions X=1)
default=$(instructions LD_PRELOAD="$lib")
rate1=$(instructions LD_PRELOAD="$lib" MEMPROF_RATE=1)
awk -v a="$allocs" -v p="$plain" -v d="$default" -v r="$rate1" 'BEGIN {
  printf "  %d allocations; plain %d instructions\n", a, p
  printf "  default rate: +%.1f per allocation; rate 1: +%.1f per allocation\n", (d - p) / a, (r - p) / a }'
# st-churn: one malloc+free pair per operation, the single-thread rate-1 goal's program.
pairs() {
  env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin/memprof-workload" st-churn 1000000 >/dev/null 2>&1
  awk '/^summary:/ { print $2 }' "$work/cg"
}
p=$(pairs X=1)
r=$(pairs LD_PRELOAD="$lib" MEMPROF_RATE=1)
awk -v p="$p" -v r="$r" 'BEGIN { printf "  st-churn 1000000: plain %.0f per pair; rate 1: +%.0f per pair (x%.2f)\n", p / 1e6, (r - p) / 1e6, r / p }'
