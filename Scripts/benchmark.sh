#!/usr/bin/env bash
# Benchmarks of the exact counters (release build; every ratio is against a baseline
# measured in the same run of this script).
#   1. ns added per malloc(24)+free pair, 1 and 8 threads: the same binary with and
#      without the preload hook.
#   2. whole-program time of an allocation-heavy Swift program (memprof-workload churn):
#      plain, under the preload hook, and linked with Memprof with sampling off (exact
#      counters only) and at the default rate (512 KiB).
#   3. accuracy of the sampled totals against the exact counters: 1,000 MB allocated in
#      sizes from 16 B to 1 MiB, half of it kept, at the default rate and at 64 KiB.
# Usage: Scripts/benchmark.sh [repetitions]   (default 5; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
swift build -c release --product memprof-workload >/dev/null
swift build -c release --product memprof-workload-linked >/dev/null
swift build -c release --product memprof >/dev/null
bin=$(swift build -c release --show-bin-path)
lib=$(find .build/release/ .build/*/release/ -name libmemprof_preload.so 2>/dev/null | head -1)
[[ -f $lib ]] || { echo "libmemprof_preload.so not built" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for threads in 1 8; do
  base=$(for _ in $(seq "$reps"); do "$bin/memprof-workload" pairs "$threads" 20000000; done | median)
  hook=$(for _ in $(seq "$reps"); do LD_PRELOAD=$lib "$bin/memprof-workload" pairs "$threads" 20000000; done | median)
  awk -v t="$threads" -v b="$base" -v h="$hook" \
    'BEGIN { printf "malloc+free pair, %d thread(s), thread CPU time: baseline %.2f ns, hooked %.2f ns, added %+.2f ns\n", t, b, h, h - b }'
done

# CPU time (user + system) of a command: far less disturbed by a busy machine than wall time.
time_of() { /usr/bin/time -f "%U %S" -o /tmp/memprof-bench-time "$@" >/dev/null; awk '{ print $1 + $2 }' /tmp/memprof-bench-time; }
plain=$(for _ in $(seq "$reps"); do time_of "$bin/memprof-workload" churn 2000000; done | median)
pre=$(for _ in $(seq "$reps"); do time_of env MEMPROF_RATE=0 LD_PRELOAD="$lib" "$bin/memprof-workload" churn 2000000; done | median)
counting=$(for _ in $(seq "$reps"); do time_of env MEMPROF_RATE=0 "$bin/memprof-workload-linked" churn 2000000; done | median)
linked=$(for _ in $(seq "$reps"); do time_of "$bin/memprof-workload-linked" churn 2000000; done | median)
awk -v p="$plain" -v q="$pre" -v c="$counting" -v l="$linked" \
  'BEGIN { printf "churn (allocation-heavy Swift), CPU time: plain %.3f s; preloaded, counters only %.3f s (x%.3f); linked, counters only %.3f s (x%.3f); linked, sampling at 512 KiB %.3f s (x%.3f)\n", p, q, q / p, c, c / p, l, l / p }'

for rate in 524288 65536; do
  for _ in $(seq "$reps"); do MEMPROF_RATE=$rate "$bin/memprof-workload-linked" accuracy 1000 2; done | python3 -c '
import sys, json, statistics
r = [json.loads(l) for l in sys.stdin]
for key in ("alloc", "inuse"):
    e = [x[key + "_error_percent"] for x in r]
    sd = statistics.stdev(e) if len(e) > 1 else 0
    print("accuracy at rate %d, %s (exact %.0f MB): mean error %+.2f%%, sd %.2f%%, worst %.2f%% over %d runs"
          % (r[0]["rate"], key, r[0]["exact_" + key + "_bytes"] / 1e6, statistics.mean(e), sd, max(map(abs, e)), len(e)))
'
done
