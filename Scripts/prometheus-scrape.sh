#!/usr/bin/env bash
# A real Prometheus (Debian's `prometheus` package) scrapes memprof-http-demo's /metrics on
# loopback: starts the demo on a free port, starts Prometheus with a config scraping it every
# second, waits until Prometheus reports the target up and has stored memprof_heap_live_bytes,
# then stops both. Installs prometheus with apt-get when it is missing (needs root).
#
#   Scripts/prometheus-scrape.sh        # exit 0 when the scrape succeeded
#
# Everything listens on 127.0.0.1 only. Set SWIFT_BUILD_FLAGS (e.g. "-c release") or
# SCRATCH_PATH to reuse another build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v prometheus >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "prometheus-scrape: prometheus is not installed (apt-get install prometheus, as root)" >&2
    exit 1
  fi
  apt-get update -qq
  # policy-rc.d (present in container images) keeps the packaged service from starting.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

work=$(mktemp -d)
demo_pid="" prometheus_pid=""
cleanup() {
  [[ -n "$prometheus_pid" ]] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null || true
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

build_flags=(${SWIFT_BUILD_FLAGS:-})
[[ -n "${SCRATCH_PATH:-}" ]] && build_flags+=(--scratch-path "$SCRATCH_PATH")
swift build "${build_flags[@]}" --product memprof-http-demo >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
demo="$(swift build "${build_flags[@]}" --show-bin-path)/memprof-http-demo"

# The demo picks a free port and says which on its first line.
"$demo" --address 127.0.0.1:0 --threads 2 >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/demo.out" 2>/dev/null && break
  sleep 0.1
done
demo_port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/demo.out")
[[ -n "$demo_port" ]] || { echo "prometheus-scrape: the demo did not start" >&2; cat "$work/demo.err" >&2; exit 1; }

# A free loopback port for Prometheus: nothing answers there.
prometheus_port=""
for candidate in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then prometheus_port=$candidate; break; fi
done
[[ -n "$prometheus_port" ]] || { echo "prometheus-scrape: no free port" >&2; exit 1; }

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: memprof
    static_configs:
      - targets: ['127.0.0.1:$demo_port']
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!

api="http://127.0.0.1:$prometheus_port/api/v1"
for _ in $(seq 120); do
  targets=$(curl -fsS "$api/targets" 2>/dev/null || true)
  live=$(curl -fsS --get --data-urlencode 'query=memprof_heap_live_bytes{job="memprof"}' "$api/query" 2>/dev/null || true)
  if grep -q '"health":"up"' <<<"$targets" && grep -q '"__name__":"memprof_heap_live_bytes"' <<<"$live"; then
    bytes=$(sed -n 's/.*"value":\[[0-9.]*,"\([0-9.e+]*\)"\].*/\1/p' <<<"$live")
    echo "prometheus-scrape: Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') scraped" \
      "memprof-http-demo on 127.0.0.1:$demo_port: target up, memprof_heap_live_bytes = $bytes"
    exit 0
  fi
  if ! kill -0 "$prometheus_pid" 2>/dev/null; then
    echo "prometheus-scrape: prometheus exited" >&2; cat "$work/prometheus.log" >&2; exit 1
  fi
  sleep 0.5
done
echo "prometheus-scrape: no successful scrape within 60 s" >&2
echo "targets: $targets" >&2
tail -20 "$work/prometheus.log" >&2
exit 1
