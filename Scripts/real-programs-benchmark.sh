#!/usr/bin/env bash
# The preloaded hook's cost on real, unmodified programs (not our workloads): wall-clock
# ratios to a plain run from paired, alternating runs, for default mode (exact counters +
# 512 KiB sampling), counters only and rate 1, with heaptrack on the same command; and the
# allocation count of each, exact under the hook, against valgrind's (an independent count;
# without glibc's freeres at exit, which valgrind runs and a plain run does not).
#   python3: dicts, lists and strings, PYTHONMALLOC=malloc (every object from malloc)
#   sort: 2M random lines (-S 64M, 1 thread)
#   git log -p: this repository's history          xz -T2: 2 threads compressing 24 MB
#   sqlite3: 200,000 inserts with an index         gcc -O2: a 3,000-function C file
# Usage: Scripts/real-programs-benchmark.sh [repetitions]   (default 5; medians, min-max)
#        MEMPROF_SCRATCH=DIR uses that build directory instead of .build
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
for tool in heaptrack valgrind xz sqlite3 gcc; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq heaptrack valgrind xz-utils sqlite3 gcc >/dev/null; break; }
done
scratch=(); [[ -n ${MEMPROF_SCRATCH:-} ]] && scratch=(--scratch-path "$MEMPROF_SCRATCH")
swift build -c release "${scratch[@]}" --product memprof >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
lib=$bin/swift-memprof_memprof.resources/libmemprof_preload.so
[[ -f $lib ]] || { echo "libmemprof_preload.so not built" >&2; exit 1; }
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source Scripts/paired-runs.sh
export PYTHONMALLOC=malloc  # python3's objects from malloc, not its own arenas

# Inputs, made once.
py=/usr/bin/python3; [[ -x $py ]] || py=$(command -v python3)
cat >"$work/alloc.py" <<'EOF'
import sys
n = int(sys.argv[1])
d = {}
for i in range(n):
    d[str(i) * 3] = [i, str(i), (i, i + 1)]
    if i % 3 == 0:
        d.pop(str(i // 2) * 3, None)
words = " ".join(k for k in d).split()
print(len(d), len(words), sum(len(w) for w in words))
EOF
awk 'BEGIN { srand(7); for (i = 0; i < 2000000; i++) printf "%08x %d\n", int(rand() * 4294967295), i }' >"$work/lines.txt"
head -c 24000000 "$work/lines.txt" >"$work/xz.in"
{ echo "CREATE TABLE t(a INTEGER, b TEXT); CREATE INDEX ta ON t(b); BEGIN;"
  awk 'BEGIN { srand(3); for (i = 0; i < 200000; i++) printf "INSERT INTO t VALUES(%d, %c%x%c);\n", i, 39, int(rand() * 1e9), 39 }'
  echo "COMMIT; SELECT count(*), count(DISTINCT b) FROM t;"; } >"$work/inserts.sql"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d ^ (s >> 3); return s; }\n", i, i }' >"$work/big.c"
git_dir=$(git rev-parse --show-toplevel)

head -n 2000 "$work/inserts.sql" >"$work/small.sql"; echo "COMMIT;" >>"$work/small.sql"
head -n 100 "$work/big.c" >"$work/small.c"
head -c 2000000 "$work/lines.txt" >"$work/lines.small"

# name|command|a smaller command for the count against valgrind (memcheck is ~30x slower)
programs=(
  "python3|$py $work/alloc.py 300000|$py $work/alloc.py 5000"
  "sort|sort -S 64M --parallel=1 -o $work/sorted.txt $work/lines.txt|sort -S 8M --parallel=1 -o $work/s2.txt $work/lines.small"
  "git log -p|git -C $git_dir log -p --no-color -n 400|git -C $git_dir log -p --no-color -n 20"
  "xz -T2|xz -T2 -3 -k -c $work/xz.in|xz -T2 -3 -k -c $work/lines.small"
  "sqlite3|sqlite3 -batch -init $work/inserts.sql :memory: .quit|sqlite3 -batch -init $work/small.sql :memory: .quit"
  "gcc -O2|gcc -O2 -c -o $work/big.o $work/big.c|gcc -O2 -c -o $work/small.o $work/small.c"
)

echo "== wall-clock ratio to a plain run (median of $reps paired runs, min-max)"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for entry in "${programs[@]}"; do
  IFS='|' read -r name cmd _ <<<"$entry"
  read -ra argv <<<"$cmd"
  echo "$name:"
  paired "preloaded, default (counters + 512 KiB)" "${argv[@]}" -- env LD_PRELOAD="$lib" "${argv[@]}"
  paired "preloaded, counters only" "${argv[@]}" -- env LD_PRELOAD="$lib" MEMPROF_RATE=0 "${argv[@]}"
  paired "preloaded, every allocation (rate 1)" "${argv[@]}" -- env LD_PRELOAD="$lib" MEMPROF_RATE=1 "${argv[@]}"
  paired "heaptrack" "${argv[@]}" -- heaptrack -o "$work/ht" "${argv[@]}"
  rm -f "$work"/ht*
done

echo "== allocations counted: memprof run (exact counters) against valgrind's heap summary"
for entry in "${programs[@]}"; do
  IFS='|' read -r name _ small <<<"$entry"
  read -ra argv <<<"$small"
  "$bin/memprof" run --summary-json "$work/sum.json" -- "${argv[@]}" >/dev/null 2>&1 || true
  ours=$("$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['allocations'], d['frees'])" "$work/sum.json")
  theirs=$(valgrind --run-libc-freeres=no --run-cxx-freeres=no "${argv[@]}" 2>&1 >/dev/null | awk '/total heap usage/ { gsub(",", ""); print $5, $7 }')
  printf '  %-12s memprof %-22s valgrind %s\n' "$name" "$ours" "$theirs"
done
