#!/usr/bin/env bash
# Cost of the type census (MEMPROF_TYPES=1), release build, against a baseline measured in
# the same run of this script:
#   1. callgrind instructions per Swift object made and dropped (`memprof-workload objects`):
#      no hook, the default hook, the hook with the census;
#   2. ns per object, median of paired alternating runs (wall clock: noisy on a shared machine);
#   3. wall-clock ratios on allocation-heavy programs (paired runs).
# Usage: Scripts/census-benchmark.sh [repetitions]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
scratch=(); [[ -n ${MEMPROF_SCRATCH:-} ]] && scratch=(--scratch-path "$MEMPROF_SCRATCH")
swift build -c release "${scratch[@]}" --product memprof-workload >/dev/null
swift build -c release "${scratch[@]}" --product memprof >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
lib=$bin/swift-memprof_memprof.resources/libmemprof_preload.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source Scripts/paired-runs.sh

echo "== 1. callgrind: instructions per Swift object (objects 1000000: make, store in a global, drop)"
instructions() {
  env "$@" valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin/memprof-workload" objects 1000000 \
    >/dev/null 2>"$work/cg.err"
  awk '/Collected/ { print $4 }' "$work/cg.err"
}
base=$(instructions A=1)
default=$(instructions LD_PRELOAD="$lib")
census=$(instructions LD_PRELOAD="$lib" MEMPROF_TYPES=1)
awk -v b="$base" -v d="$default" -v c="$census" 'BEGIN {
  printf "  no hook %.1f; default hook %+.1f; census %+.1f (census over default %+.1f)\n",
    b / 1e6, (d - b) / 1e6, (c - b) / 1e6, (c - d) / 1e6 }'

echo "== 2. ns per object (median of $reps paired runs, 5M objects; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores)"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: >"$work/p"; : >"$work/d"; : >"$work/c"
for _ in $(seq "$reps"); do
  "$bin/memprof-workload" objects 5000000 >>"$work/p"
  LD_PRELOAD=$lib "$bin/memprof-workload" objects 5000000 >>"$work/d"
  LD_PRELOAD=$lib MEMPROF_TYPES=1 "$bin/memprof-workload" objects 5000000 >>"$work/c"
done
p=$(median <"$work/p"); d=$(median <"$work/d"); c=$(median <"$work/c")
awk -v p="$p" -v d="$d" -v c="$c" 'BEGIN {
  printf "  no hook %.1f ns; default hook %.1f ns (%+.1f); census %.1f ns (%+.1f over default)\n", p, d, d - p, c, c - d }'

echo "== 3. wall-clock ratio, census against the default hook (paired runs)"
for program in "census" "churn 1000000" "mt-churn 300000"; do
  read -r name arg <<<"$program"
  cmd=("$bin/memprof-workload" "$name" ${arg:+"$arg"})
  paired "$program" env LD_PRELOAD="$lib" "${cmd[@]}" -- env LD_PRELOAD="$lib" MEMPROF_TYPES=1 "${cmd[@]}"
done
