#!/usr/bin/env bash
# The CLI as the README builds it (release, --static-swift-stdlib) profiles a Swift program
# and shows its functions demangled. The test suite runs the debug build, which links the
# Swift runtime dynamically; a statically linked runtime exports none of its symbols, so a
# lookup that works in the tests can fail here (swift_demangle did until it was linked
# directly).
#
#   bash Scripts/static-cli-check.sh      # exit 0 when every check passed
#
# Needs the debug build of memprof-workload (`swift build --build-tests` makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=(--scratch-path "${MEMPROF_SCRATCH:-.build}-static")
swift build -c release --static-swift-stdlib "${scratch[@]}" --product memprof >/dev/null
memprof=$(swift build -c release --static-swift-stdlib "${scratch[@]}" --show-bin-path)/memprof
workload=$(swift build --show-bin-path)/memprof-workload
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
check() {  # check NAME TEXT PATTERN: TEXT must match the extended regex PATTERN
  if grep -Eq -- "$3" <<<"$2"; then echo "static-cli: $1: ok"; else
    echo "static-cli: $1: FAILED (no match for '$3' in:)" >&2; echo "$2" >&2; failed=1; fi
}
refuse() {  # refuse NAME TEXT PATTERN: TEXT must not match PATTERN
  if grep -Eq -- "$3" <<<"$2"; then echo "static-cli: $1: FAILED (matched '$3' in:)" >&2; echo "$2" >&2; failed=1
  else echo "static-cli: $1: ok"; fi
}

summary=$("$memprof" run --rate 4096 -o "$work/w.pb.gz" -- "$workload" st-churn 20000 2>&1 >/dev/null)
check "run summary" "$summary" "allocations"
top=$("$memprof" top --alloc_space -n 20 "$work/w.pb.gz")
check "top names Swift functions" "$top" "MemprofWorkloads\.Workloads\."
refuse "top shows no mangled Swift names" "$top" '\$s[0-9]'
full=$("$memprof" top --alloc_space --full-names -n 20 "$work/w.pb.gz")
check "--full-names demangles with signatures" "$full" "MemprofWorkloads\.Workloads\..*\) -> "
refuse "--full-names shows no mangled Swift names" "$full" '\$s[0-9]'
exit $failed
