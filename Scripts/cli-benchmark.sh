#!/usr/bin/env bash
# Speed of `memprof top` against `go tool pprof -top` on the same profile, in the same run.
#   1. builds memprof in release mode as the README does (--static-swift-stdlib; scratch path
#      .build-cli unless SCRATCH is set);
#   2. writes a heap profile with 20,000 distinct stacks (memprof _synthetic-profile, which
#      builds a Profile value and writes it with encoded());
#   3. checks that both tools print the same report (with --full-names: pprof shows the
#      names as stored), then times each REPS times and prints the medians and the ratio.
# `go tool pprof` is run through its binary (`go tool -n pprof`), so the go command's own
# start-up is not counted against it.
# Usage: Scripts/cli-benchmark.sh [stacks] [reps]   (default 20000 stacks, 7 repetitions)
set -euo pipefail
cd "$(dirname "$0")/.."
stacks=${1:-20000}
reps=${2:-7}
scratch=${SCRATCH:-.build-cli}
if ! swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product memprof >"${TMPDIR:-/tmp}/cli-benchmark-build.log" 2>&1; then
  cat "${TMPDIR:-/tmp}/cli-benchmark-build.log" >&2; exit 1
fi
memprof="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/memprof"
pprof=$(go tool -n pprof)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile="$work/stacks-$stacks.pb.gz"
"$memprof" _synthetic-profile --stacks "$stacks" -o "$profile"
export TZ=UTC HOME="$work" PPROF_TMPDIR="$work" PPROF_BINARY_PATH="$work/none"

"$memprof" top --full-names "$profile" >"$work/ours.txt"
"$pprof" -top "$profile" >"$work/go.txt" 2>/dev/null
if cmp -s "$work/ours.txt" "$work/go.txt"; then
  echo "reports identical ($(wc -l <"$work/ours.txt") lines)"
else
  echo "REPORTS DIFFER:"; diff "$work/ours.txt" "$work/go.txt" | head -20; exit 1
fi

# "wall cpu" seconds of one run of "$@" (cpu = user + system), output discarded.
seconds() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/time"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Interleaved runs, so a change in machine load affects all three alike.
: >"$work/ours" ; : >"$work/full" ; : >"$work/go"
for _ in $(seq "$reps"); do
  seconds "$memprof" top "$profile" >>"$work/ours"
  seconds "$memprof" top --full-names "$profile" >>"$work/full"
  seconds "$pprof" -top "$profile" >>"$work/go"
done
col() { awk -v c="$1" '{print $c}' "$2" | median; }
size=$(stat -c %s "$profile")
awk -v s="$stacks" -v z="$size" -v n="$reps" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
    -v o="$(col 1 "$work/ours")" -v oc="$(col 2 "$work/ours")" \
    -v f="$(col 1 "$work/full")" -v fc="$(col 2 "$work/full")" \
    -v g="$(col 1 "$work/go")" -v gc="$(col 2 "$work/go")" 'BEGIN {
  printf "profile: %d distinct stacks, %d bytes gzipped; medians of %d runs (load %s)\n", s, z, n, load
  printf "                            wall     cpu\n"
  printf "memprof top:              %6.3f s %6.2f s\n", o, oc
  printf "memprof top --full-names: %6.3f s %6.2f s\n", f, fc
  printf "go tool pprof -top:       %6.3f s %6.2f s\n", g, gc
  printf "memprof is %.1fx faster in wall time (%.1fx in cpu time); --full-names %.1fx (%.1fx)\n", \
    g / o, gc / oc, g / f, gc / fc
}'
