#!/usr/bin/env bash
# Benchmarks of the hook (release build; every ratio is against a baseline measured in the
# same run of this script, from paired runs that alternate: plain, variant, plain, ...).
#   1. wall-clock ratios on allocation-heavy programs, single-thread (st-churn: 8M
#      malloc+free of 16-4096 B; churn: Swift strings and arrays) and 8 threads (mt-churn:
#      8 x 1M): default mode (exact counters + 512 KiB sampling) preloaded and linked,
#      counters only, every allocation sampled (MEMPROF_RATE=1), `memprof run --rate 1 -o`
#      end to end, and heaptrack on the same program;
#  1a. the floor: interposers that do only part of the work (forward, call and return, one
#      counter, the four exact counts) against the hook's counters only and default mode;
#   2. futex calls of the 8-thread program (strace -f -c): the sampler must not make
#      threads queue in the kernel;
#   3. callgrind instructions per malloc+free pair (repeatable on a noisy machine);
#   4. ns per malloc(24)+free pair, 1 and 8 threads (thread CPU time);
#   5. accuracy of the sampled totals against the exact counters.
# Usage: Scripts/benchmark.sh [repetitions]   (default 5; medians, with the spread)
#        MEMPROF_SCRATCH=DIR uses that build directory instead of .build
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
for tool in /usr/bin/time strace valgrind heaptrack sqlite3 gcc python3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq time strace valgrind heaptrack sqlite3 gcc python3 >/dev/null; break; }
done
scratch=(); [[ -n ${MEMPROF_SCRATCH:-} ]] && scratch=(--scratch-path "$MEMPROF_SCRATCH")  # a build directory
swift build -c release "${scratch[@]}" --product memprof-workload >/dev/null
swift build -c release "${scratch[@]}" --product memprof-workload-linked >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
# The CLI as the README builds it, with Swift's runtime and Foundation linked in (it starts in
# about 6 ms instead of 11: `memprof run` adds that to every program), in a build directory
# of its own so that the two sets of flags do not rebuild each other.
cli_scratch=(--scratch-path "${MEMPROF_SCRATCH:-.build}-static")
swift build -c release --static-swift-stdlib "${cli_scratch[@]}" --product memprof >/dev/null
memprof=$(swift build -c release --static-swift-stdlib "${cli_scratch[@]}" --show-bin-path)/memprof
lib=$(dirname "$memprof")/swift-memprof_memprof.resources/libmemprof_preload.so  # the one `memprof run` preloads
[[ -f $lib ]] || { echo "libmemprof_preload.so not built" >&2; exit 1; }
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source Scripts/paired-runs.sh  # (the script runs from the package root)

# Interposers that do only part of the hook's work (Scripts/floor/*.c), for sections 1a, 1b, 3.
for floor in forward call_return one_counter exact_counts; do
  clang -shared -fPIC -O2 -fno-plt -o "$work/$floor.so" "Scripts/floor/$floor.c"
done

echo "== 1. wall-clock ratio to a plain run (median of $reps paired runs, min-max)"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for program in "st-churn 8000000" "churn 2000000" "mt-churn 1000000"; do
  read -r name arg <<<"$program"
  plain=("$bin/memprof-workload" "$name" "$arg")
  echo "$program:"
  paired "plain against plain (the noise)" "${plain[@]}" -- "${plain[@]}"
  paired "preloaded, default (counters + 512 KiB)" "${plain[@]}" -- env LD_PRELOAD="$lib" "${plain[@]}"
  paired "linked, default (counters + 512 KiB)" "${plain[@]}" -- "$bin/memprof-workload-linked" "$name" "$arg"
  paired "preloaded, counters only" "${plain[@]}" -- env LD_PRELOAD="$lib" MEMPROF_RATE=0 "${plain[@]}"
  paired "preloaded, every allocation (rate 1)" "${plain[@]}" -- env LD_PRELOAD="$lib" MEMPROF_RATE=1 "${plain[@]}"
  paired "memprof run --rate 1 -o (end to end)" "${plain[@]}" -- "$memprof" run --rate 1 -o "$work/r1.pb.gz" -- "${plain[@]}"
  paired "memprof run -o (default rate, end to end)" "${plain[@]}" -- "$memprof" run -o "$work/d.pb.gz" -- "${plain[@]}"
  paired "  the same, symbolizing only after the exit" "${plain[@]}" -- env MEMPROF_RUN_WARM=0 "$memprof" run -o "$work/d.pb.gz" -- "${plain[@]}"
  paired "heaptrack" "${plain[@]}" -- heaptrack -o "$work/ht" "${plain[@]}"
  rm -f "$work"/ht*
done

echo "== 1a. the floor: what part of the work costs, against the hook (3 x $reps pairs each)"
echo "   forward: jump to glibc; call+return: call glibc and return; one counter: a thread-local"
echo "   add per call; exact counts: allocations, frees and usable bytes of both, sizes from the"
echo "   chunk header (the least the exact counters need). Pinned to one CPU (taskset) where"
echo "   marked: single pairs spread less there."
last_cpu=$(( $(nproc) - 1 ))
for program in "st-churn 4000000 pinned" "mt-churn 1000000 both" "mt-churn 500000 pinned"; do
  read -r name arg where <<<"$program"
  pin=(); [[ $where == pinned ]] && pin=(taskset -c "$last_cpu")
  plain=("${pin[@]}" "$bin/memprof-workload" "$name" "$arg")
  echo "$name $arg ($( [[ $where == pinned ]] && echo "one CPU" || echo "$(nproc) CPUs")):"
  reps_before=$reps; reps=$(( 3 * reps ))
  for floor in forward call_return one_counter exact_counts; do
    paired "$floor" "${plain[@]}" -- env LD_PRELOAD="$work/$floor.so" "${plain[@]}"
  done
  paired "hook, counters only" "${plain[@]}" -- env LD_PRELOAD="$lib" MEMPROF_RATE=0 "${plain[@]}"
  paired "hook, default (counters + 512 KiB)" "${plain[@]}" -- env LD_PRELOAD="$lib" "${plain[@]}"
  reps=$reps_before
done

echo "== 1b. memprof run -o end to end on programs of about 1 s (the issue's measure: the fixed"
echo "   cost of starting, symbolizing and writing the profile spread over a second), on our two"
echo "   allocation-heavy workloads and on three real programs: sqlite3 (300,000 inserts with an"
echo "   index), gcc -O2 (a 450-function C file) and python3 (dicts and lists, its own allocator)"
{ echo "CREATE TABLE t(a INTEGER, b TEXT); CREATE INDEX ta ON t(b); BEGIN;"
  awk 'BEGIN { srand(3); for (i = 0; i < 300000; i++) printf "INSERT INTO t VALUES(%d, %c%x%c);\n", i, 39, int(rand() * 1e9), 39 }'
  echo "COMMIT; SELECT count(*), count(DISTINCT b) FROM t;"; } >"$work/inserts.sql"
awk 'BEGIN { for (i = 0; i < 450; i++) printf "int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d ^ (s >> 3); return s; }\n", i, i }' >"$work/mid.c"
printf 'd = {}\nfor i in range(480000):\n    d[str(i) * 3] = [i, str(i), (i, i + 1)]\n    if i %% 3 == 0:\n        d.pop(str(i // 2) * 3, None)\nprint(len(d))\n' >"$work/dicts.py"
for program in "$bin/memprof-workload st-churn 16000000" "$bin/memprof-workload mt-churn 3500000" \
               "sqlite3 -batch -init $work/inserts.sql :memory: .quit" "gcc -O2 -c -o $work/mid.o $work/mid.c" \
               "python3 $work/dicts.py"; do
  read -ra plain <<<"$program"
  echo "${program#"$bin/"}" | sed "s|$work/||g"
  paired "forwarding only (any interposer's floor)" "${plain[@]}" -- env LD_PRELOAD="$work/forward.so" "${plain[@]}"
  paired "preloaded, default (counters + 512 KiB)" "${plain[@]}" -- env LD_PRELOAD="$lib" "${plain[@]}"
  paired "memprof run -o (default rate, end to end)" "${plain[@]}" -- "$memprof" run -o "$work/d.pb.gz" -- "${plain[@]}"
done

echo "== 2. futex calls, mt-churn 1000000 (strace -f -c; the program's own mutexes included)"
for rate in plain 0 524288 1; do
  if [[ $rate == plain ]]; then
    strace -f -c -e trace=futex -o "$work/st" "$bin/memprof-workload" mt-churn 1000000 >/dev/null
  else
    env LD_PRELOAD="$lib" MEMPROF_RATE=$rate strace -f -c -e trace=futex -o "$work/st" "$bin/memprof-workload" mt-churn 1000000 >/dev/null
  fi
  printf '  %-10s %s calls\n' "$rate" "$(awk '$NF == "futex" { print $4 }' "$work/st")"
done

echo "== 3. callgrind: instructions per malloc+free pair added by the hook"
instructions() {
  env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin/memprof-workload" st-churn 1000000 \
    >/dev/null 2>"$work/cg.err"
  awk '/Collected/ { print $4 }' "$work/cg.err"
}
base=$(instructions A=1)
# The floors of section 1a.
for floor in forward call_return one_counter exact_counts; do
  n=$(instructions LD_PRELOAD="$work/$floor.so")
  awk -v b="$base" -v n="$n" -v s="$floor (1a)" 'BEGIN { printf "  st-churn 1000000, %-20s %+.1f instructions per pair (%d -> %d)\n", s, (n - b) / 1000000, b, n }'
done
for setting in "MEMPROF_RATE=0" "MEMPROF_RATE=524288" "MEMPROF_RATE=1"; do
  n=$(instructions LD_PRELOAD="$lib" "$setting")
  awk -v b="$base" -v n="$n" -v s="$setting" \
    'BEGIN { printf "  st-churn 1000000, %-20s %+.1f instructions per pair (%d -> %d)\n", s, (n - b) / 1000000, b, n }'
done

echo "== 4. ns per malloc(24)+free pair (thread CPU time, median of $reps)"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for threads in 1 8; do
  b=$(for _ in $(seq "$reps"); do "$bin/memprof-workload" pairs "$threads" 20000000; done | median)
  h=$(for _ in $(seq "$reps"); do LD_PRELOAD=$lib "$bin/memprof-workload" pairs "$threads" 20000000; done | median)
  awk -v t="$threads" -v b="$b" -v h="$h" \
    'BEGIN { printf "  %d thread(s): baseline %.2f ns, hooked %.2f ns, added %+.2f ns\n", t, b, h, h - b }'
done

echo "== 5. accuracy of sampled totals against the exact counters"
for rate in 524288 65536; do
  for _ in $(seq "$reps"); do MEMPROF_RATE=$rate "$bin/memprof-workload-linked" accuracy 1000 2; done | python3 -c '
import sys, json, statistics
r = [json.loads(l) for l in sys.stdin]
for key in ("alloc", "inuse"):
    e = [x[key + "_error_percent"] for x in r]
    sd = statistics.stdev(e) if len(e) > 1 else 0
    print("  rate %d, %s (exact %.0f MB): mean error %+.2f%%, sd %.2f%%, worst %.2f%% over %d runs"
          % (r[0]["rate"], key, r[0]["exact_" + key + "_bytes"] / 1e6, statistics.mean(e), sd, max(map(abs, e)), len(e)))
'
done
