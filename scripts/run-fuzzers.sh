#!/usr/bin/env bash
# Runs every libFuzzer target in a fuzz build for a bounded time, each from
# its seed corpus in fuzz/corpus/<target>/. New inputs go to a scratch copy,
# so the committed corpus only changes by hand.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for target in "$build"/*_fuzz; do
  [[ -x "$target" ]] || continue
  name=$(basename "$target")
  work=$(mktemp -d)
  if [[ -d "$root/fuzz/corpus/$name" ]]; then cp -r "$root/fuzz/corpus/$name/." "$work/"; fi
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/$name-" "$work" 2>"$build/$name.log"; then
    echo "fuzz: $name FAILED; see $build/$name.log"
    tail -n 40 "$build/$name.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units' "$build/$name.log" || true
  fi
  rm -rf "$work"
done
exit $status
