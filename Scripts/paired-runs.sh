# Sourced by the benchmark scripts: wall-clock ratios from paired, alternating runs.
#   paired NAME PLAIN_CMD... -- VARIANT_CMD...   prints the median ratio variant/plain of
#   $reps pairs, with the smallest and largest, and the ratio of the two fastest runs,
#   e.g. "x1.021 (0.990-1.060, n=5) fastest x1.018".
# On a shared machine a run is only ever slowed down, never sped up: the fastest run of each
# side is the least disturbed, so their ratio varies far less than the median of the pairs
# (plain against plain: fastest 1.000-1.008 where the median moved by 6%).
now() { date +%s%N; }
# Nanoseconds a command takes, its output discarded.
wall() { local s; s=$(now); "$@" >/dev/null 2>&1; echo $(( $(now) - s )); }
# Median, min and max of ratios.
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "x%.3f (%.3f-%.3f, n=%d)", m, a[1], a[NR], NR}'; }
# The smallest of numbers.
smallest() { printf '%s\n' "$@" | sort -g | head -1; }
paired() {
  local name=$1; shift
  local plain=() variant=()
  while [[ $1 != -- ]]; do plain+=("$1"); shift; done
  shift
  variant=("$@")
  local ratios=() plains=() variants=() p v
  for _ in $(seq "$reps"); do
    p=$(wall "${plain[@]}")
    v=$(wall "${variant[@]}")
    ratios+=("$(awk -v p="$p" -v v="$v" 'BEGIN { print v / p }')")
    plains+=("$p")
    variants+=("$v")
  done
  printf '  %-44s %s fastest x%s\n' "$name" "$(stats "${ratios[@]}")" \
    "$(awk -v p="$(smallest "${plains[@]}")" -v v="$(smallest "${variants[@]}")" 'BEGIN { printf "%.3f", v / p }')"
}
