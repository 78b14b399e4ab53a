#!/usr/bin/env bash
# fuzz.sh: runs every fuzzer built in BUILD_DIR for FUZZ_SECONDS (default 60) each, starting from fuzz/corpus/<name>/.
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus="$root/fuzz/corpus/$name"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${secs}s"
  if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -artifact_prefix="$build/$name-" "$work"; then
    echo "fuzz: $name found a crash; see $build/$name-*" >&2; status=1
  fi
  rm -rf "$work"
done
exit $status
