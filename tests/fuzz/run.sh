#!/usr/bin/env bash
# Runs each fuzz target of a HEED_FUZZ build for a bounded time on a copy of its seed corpus (new
# inputs land in a temporary folder, never in the repository) and prints one line per target.
# Fails if any target finds a crash, a hang (-timeout), a leak or undefined behaviour; the input
# that did it is kept in <build>/fuzz-artifacts/.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...      (make fuzz runs it)
set -uo pipefail

build=$1 seconds=$2
shift 2
corpora=$(cd "$(dirname "$0")" && pwd)/corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1  # one input at a time needs no threads; OpenMP's pools would only slow it

failed=0
for target in "$@"; do
  work=$(mktemp -d)
  mkdir -p "$work/corpus" "$work/tmp"
  cp -r "$corpora/$target/." "$work/corpus/"
  log=$artifacts/$target.log
  # The targets' scratch folders go in $work too: libFuzzer ends without running exit handlers.
  TMPDIR=$work/tmp "$build/bin/fuzz_$target" "$work/corpus" -max_total_time="$seconds" -timeout=5 -detect_leaks=1 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" >"$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  inputs=$(find "$work/corpus" -type f | wc -l)
  if ((status == 0)); then
    result=ok
  else
    result="FAILED (exit $status; see $log)"
    failed=1
  fi
  printf 'fuzz_%-20s %8s execs  coverage %5s  corpus %4s inputs  %s\n' "$target" "${execs:-?}" "${coverage:-?}" \
    "$inputs" "$result"
  rm -rf "$work"
done
exit $failed
