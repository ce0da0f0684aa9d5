#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets of tests/fuzz in the sanitizer build (scripts/build.sh
# --sanitize: clang, ASan+UBSan, OSS-Fuzz's -O1 and line tables; build-asan/) and runs each
# one for SECONDS_PER_TARGET seconds (default 20) from its seed corpus in
# tests/fuzz/corpus/<name>/. New inputs go to build-asan/corpus/<name>/ (the seeds in the
# repo stay small); a crash leaves build-asan/artifacts/<name>/crash-* and fails the script.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Environment: FUZZ_JOBS (targets run at once, default 1), FUZZ_NICE (nice level, default 0),
# FUZZ_NO_BUILD=1 (run the targets already built).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-20}
shift || true
build=$root/build-asan
jobs=${FUZZ_JOBS:-1}
nice_level=${FUZZ_NICE:-0}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang)" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # Every target tests/fuzz has (a list written here once missed a new one).
  for f in "$root"/tests/fuzz/*_fuzz.cpp; do
    f=${f##*/}
    targets+=("${f%_fuzz.cpp}")
  done
fi

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  "$root/scripts/build.sh" --sanitize "${targets[@]/%/_fuzz}"
fi

run_one() {
  local name=$1
  local corpus=$build/corpus/$name artifacts=$build/artifacts/$name/ log=$build/logs/$name.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # -rss_limit_mb: a leak or runaway allocation is a finding too.
  if nice -n "$nice_level" "$build/tests/fuzz/${name}_fuzz" "$corpus" "$root/tests/fuzz/corpus/$name" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -max_len=4096 \
      -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1; then
    local stats
    stats=$(grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | awk '{print $2}' | paste -sd' ')
    local cov
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    echo "fuzz $name: ok seconds=$seconds execs/rss_mb=${stats// //} $cov corpus=$(ls "$corpus" | wc -l)"
  else
    echo "fuzz $name: FAILED (see $log)" >&2
    tail -40 "$log" >&2
    return 1
  fi
}

failed=0
pids=()
for name in "${targets[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do
  wait "$p" || failed=1
done
exit $failed
