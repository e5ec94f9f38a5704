#!/usr/bin/env bash
# Builds the framework examples (Examples/HummingbirdExample, Examples/VaporExample), starts
# each on a loopback port, fetches its heap profile with curl, checks that go tool pprof reads
# it, then stops it. Each example is its own package: the main package never builds Vapor or
# Hummingbird.
#
#   bash Scripts/examples.sh                  both
#   bash Scripts/examples.sh HummingbirdExample
#
# Prints "N passed, N failed" last; exits non-zero if any example failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
examples=("$@")
[ ${#examples[@]} -eq 0 ] && examples=(HummingbirdExample VaporExample)
passed=0
failed=0
work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "examples: $1: FAILED: $2" >&2; failed=$((failed + 1)); }

# A free loopback port: the kernel picks one for a socket we close at once.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

check() {
    local name=$1 dir=$root/Examples/$1
    local scratch=$dir/${EXAMPLES_SCRATCH_NAME:-.build}
    echo "== $name: build"
    local start=$SECONDS
    if ! swift build --package-path "$dir" --scratch-path "$scratch" >"$work/$name-build.log" 2>&1; then
        tail -30 "$work/$name-build.log" >&2
        fail "$name" "build"
        return
    fi
    echo "   built in $((SECONDS - start)) s"
    local bin
    bin=$(swift build --package-path "$dir" --scratch-path "$scratch" --show-bin-path)/$name
    local port
    port=$(free_port)
    PORT=$port "$bin" >"$work/$name-server.log" 2>&1 &
    server=$!
    local url=http://127.0.0.1:$port
    local up=""
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$url/hello" 2>/dev/null; then up=1; break; fi
        if ! kill -0 "$server" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if [ -z "$up" ]; then
        cat "$work/$name-server.log" >&2
        fail "$name" "did not answer on $url"
        server=""
        return
    fi
    for _ in 1 2 3 4 5; do curl -fsS -o /dev/null "$url/hello"; done
    local ok=1
    curl -fsS -o "$work/$name-heap.pb.gz" "$url/debug/pprof/heap" || { fail "$name" "GET /debug/pprof/heap"; ok=""; }
    if [ -n "$ok" ]; then
        if go tool pprof -top -sample_index=inuse_space "$work/$name-heap.pb.gz" >"$work/$name-top.txt" 2>&1 \
            && grep -q "flat%" "$work/$name-top.txt"; then
            sed -n '1,8p' "$work/$name-top.txt"
        else
            cat "$work/$name-top.txt" >&2
            fail "$name" "go tool pprof could not read /debug/pprof/heap"
            ok=""
        fi
    fi
    if [ -n "$ok" ]; then
        curl -fsS "$url/debug/memstats" | grep -q '"memstats"' || { fail "$name" "GET /debug/memstats"; ok=""; }
    fi
    if [ -n "$ok" ]; then
        curl -fsS "$url/debug/pprof/" | grep -q "heap" || { fail "$name" "GET /debug/pprof/ index"; ok=""; }
    fi
    if [ -n "$ok" ]; then
        # pprof's symbol protocol: a POST whose body is addresses (the route with a body).
        curl -fsS --data-binary '0x1+0x2' "$url/debug/pprof/symbol" >"$work/$name-symbol.txt" \
            || { fail "$name" "POST /debug/pprof/symbol"; ok=""; }
    fi
    kill "$server"
    wait "$server" 2>/dev/null
    server=""
    if [ -n "$ok" ]; then echo "   $name: ok"; passed=$((passed + 1)); fi
}

# The documentation's snippets are these examples' adapters: every line of each snippet must
# be a line of the file it shows, in the same order (comments aside).
snippets() {
    python3 - "$root" <<'PY'
import re, sys
root = sys.argv[1]
doc = open(f"{root}/Sources/MemprofHTTP/MemprofHTTP.docc/MemprofHTTP.md").read()
blocks = re.findall(r"```swift\n(.*?)```", doc, re.S)
files = {"Vapor": "Examples/VaporExample/Sources/VaporExample/RoutesBuilder+Memprof.swift",
         "Hummingbird": "Examples/HummingbirdExample/Sources/HummingbirdExample/Router+Memprof.swift"}
bad = 0
for framework, path in files.items():
    block = next((b for b in blocks if f"import {framework}" in b), None)
    if block is None:
        print(f"examples: MemprofHTTP.md has no {framework} snippet", file=sys.stderr); bad += 1; continue
    code = [l.rstrip() for l in open(f"{root}/{path}").read().splitlines() if l.strip() and not l.strip().startswith("//")]
    at = 0
    for line in (l.rstrip() for l in block.splitlines() if l.strip()):
        while at < len(code) and code[at] != line: at += 1
        if at == len(code):
            print(f"examples: the {framework} snippet in MemprofHTTP.md differs from {path} at: {line.strip()}", file=sys.stderr)
            bad += 1; break
        at += 1
sys.exit(1 if bad else 0)
PY
}
if snippets; then echo "== documentation snippets match the examples"; passed=$((passed + 1)); else failed=$((failed + 1)); fi

for example in "${examples[@]}"; do check "$example"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
