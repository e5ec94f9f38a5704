# Sourced by the benchmark scripts: wall-clock ratios from paired, alternating runs.
#   paired NAME PLAIN_CMD... -- VARIANT_CMD...   prints the median ratio variant/plain of
#   $reps pairs, with the smallest and largest, e.g. "x1.021 (0.990-1.060, n=5)".
now() { date +%s%N; }
# Nanoseconds a command takes, its output discarded.
wall() { local s; s=$(now); "$@" >/dev/null 2>&1; echo $(( $(now) - s )); }
# Median, min and max of ratios.
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "x%.3f (%.3f-%.3f, n=%d)", m, a[1], a[NR], NR}'; }
paired() {
  local name=$1; shift
  local plain=() variant=()
  while [[ $1 != -- ]]; do plain+=("$1"); shift; done
  shift
  variant=("$@")
  local ratios=() p v
  for _ in $(seq "$reps"); do
    p=$(wall "${plain[@]}")
    v=$(wall "${variant[@]}")
    ratios+=("$(awk -v p="$p" -v v="$v" 'BEGIN { print v / p }')")
  done
  printf '  %-44s %s\n' "$name" "$(stats "${ratios[@]}")"
}
