#!/usr/bin/env bash
# The long scrape soak of an idle service (issue 14): memprof-http-demo --threads 0 (release
# build) scraped in rounds of /debug/pprof/heap, /debug/pprof/allocs?debug=1 and /metrics, as
# fast as it answers, for MINUTES minutes (default 10). Prints heap (heapAlloc) and RSS every
# minute, with the number of records of the allocs profile; after a warm-up of WARMUP rounds
# (default 300), fails when the heap grew by more than
# 0.5 MiB or RSS by more than 2 MiB by the end. Loopback only; the service is stopped at exit.
# Usage: Scripts/soak.sh [MINUTES] [WARMUP]      (the CI test is ScrapeSoakTests, shorter)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
warmup=${2:-300}
scratch=${SOAK_SCRATCH_PATH:-.build}
swift build -c release --scratch-path "$scratch" --product memprof-http-demo >/dev/null
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
out=$(mktemp)
"$bin/memprof-http-demo" --address 127.0.0.1:0 --threads 0 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$out" | head -1)
[[ -n $url ]] || { echo "soak: the demo did not start" >&2; exit 1; }

text=$(mktemp)
trap 'kill $pid 2>/dev/null; rm -f "$out" "$text"' EXIT
round() {
  curl -sf -o /dev/null --max-time 60 "$url/debug/pprof/heap" || { echo "soak: /debug/pprof/heap failed" >&2; return 1; }
  curl -sf -o "$text" --max-time 60 "$url/debug/pprof/allocs?debug=1" || { echo "soak: allocs?debug=1 failed" >&2; return 1; }
  curl -sf -o /dev/null --max-time 60 "$url/metrics" || { echo "soak: /metrics failed" >&2; return 1; }
}
# Records of the last allocs?debug=1 text: they settle when serving profiles adds none.
records() { grep -c '^[0-9]' "$text"; }
heap() { curl -sf --max-time 60 "$url/debug/memstats" | grep -o '"heapAlloc":[0-9]*' | cut -d: -f2; }
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$pid/status"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }

for _ in $(seq "$warmup"); do round; done
heap0=$(heap); rss0=$(rss)
echo "after $warmup rounds of warm-up: heap $(mib "$heap0"), RSS $(mib "$rss0"), $(records) allocs records"
start=$(date +%s); rounds=0; minute=1
while (( $(date +%s) - start < minutes * 60 )); do
  round
  rounds=$((rounds + 1))
  if (( $(date +%s) - start >= minute * 60 )); then
    echo "minute $minute: $rounds rounds, heap $(mib "$(heap)"), RSS $(mib "$(rss)"), $(records) allocs records"
    minute=$((minute + 1))
  fi
done
heap1=$(heap); rss1=$(rss)
echo "end: $rounds rounds in $minutes min: heap $(mib "$heap0") -> $(mib "$heap1") ($((heap1 - heap0)) bytes)," \
     "RSS $(mib "$rss0") -> $(mib "$rss1") ($((rss1 - rss0)) bytes)"
(( heap1 - heap0 <= 524288 )) || { echo "soak: FAIL: the heap grew by more than 0.5 MiB"; exit 1; }
(( rss1 - rss0 <= 2097152 )) || { echo "soak: FAIL: RSS grew by more than 2 MiB"; exit 1; }
echo "soak: PASS"
