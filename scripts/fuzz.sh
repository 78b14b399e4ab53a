#!/usr/bin/env bash
# fuzz.sh: runs every fuzzer built in BUILD_DIR for FUZZ_SECONDS (default 60) each from a copy of fuzz/corpus/<name>/; fails on any crash or sanitizer report; prints a table.
#   scripts/fuzz.sh [BUILD_DIR]   (default build-fuzz; make fuzz configures and builds it with clang)
#   FUZZ_SECONDS=N    seconds per target; 0 replays every seed once and stops (make test does, so
#                     clang's UBSan, which catches more than gcc's, also sees every seed there)
#   FUZZ_TARGETS="fuzz_pairs fuzz_det_truth"   only these
# Under BUILD_DIR/fuzz-out/: <name>.log (libFuzzer's output), <name>/corpus (the corpus as it
# ended: the seeds and what the run added), <name>/crash-* (the input of a crash, when one).
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
only=${FUZZ_TARGETS:-}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/fuzz-out"
if ! [[ $secs =~ ^(0|[1-9][0-9]*)$ ]]; then
  echo "fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$secs'" >&2
  exit 2
fi
# Fatal UBSan reports are compiled in (-fno-sanitize-recover); this also stops a build made without it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

bins=()
for bin in "$build"/fuzz/fuzz_*; do
  name=$(basename "$bin")
  # the ctest replays of a build with tests live here too; they are no fuzzers
  [[ -f $bin && -x $bin && $name != *_replay ]] || continue
  [[ -z $only || " $only " == *" $name "* ]] || continue
  bins+=("$bin")
done
# a run that fuzzed nothing must not pass for a clean one
if [ ${#bins[@]} -eq 0 ]; then
  echo "fuzz: no fuzzer${only:+ named $only} in $build/fuzz/: configure with CC=clang -DFK_FUZZ=ON and build (make fuzz does)" >&2
  exit 1
fi
if [ -n "$only" ]; then
  for want in $only; do
    [ -x "$build/fuzz/$want" ] || { echo "fuzz: FUZZ_TARGETS names $want, which is not built in $build/fuzz/" >&2; exit 1; }
  done
fi
mkdir -p "$out"

# What libFuzzer's output says went wrong: its own crash reports and every sanitizer's.
report_re='runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY:'

if [ "$secs" -eq 0 ]; then
  # replay: each seed file run once (libFuzzer runs the files it is given and exits)
  status=0
  for bin in "${bins[@]}"; do
    name=$(basename "$bin")
    corpus="$root/fuzz/corpus/$name"
    log="$out/$name.replay.log"
    files=("$corpus"/*)
    if [ ! -f "${files[0]}" ]; then
      echo "fuzz: $name has no seeds in fuzz/corpus/$name/" >&2
      status=1
      continue
    fi
    rc=0
    "$bin" -rss_limit_mb=2048 -timeout=20 "${files[@]}" >"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || grep -qE "$report_re" "$log"; then
      echo "fuzz: replay of $name: FAILED (exit $rc)" >&2
      grep -m 1 -B 3 -A 30 -E "$report_re|==ERROR|deadly signal" "$log" >&2 || tail -n 30 "$log" >&2
      status=1
    else
      echo "fuzz: replay of $name: ${#files[@]} seeds, no report"
    fi
  done
  exit "$status"
fi

rows=()
status=0
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  corpus="$root/fuzz/corpus/$name"
  log="$out/$name.log"
  work="$out/$name"
  if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
    echo "fuzz: $name has no seeds in fuzz/corpus/$name/" >&2
    rows+=("$name|0|0|0|0|0|no corpus")
    status=1
    continue
  fi
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp -r "$corpus"/. "$work/corpus"/
  echo "fuzz: $name for ${secs}s (log: $log)"
  start=$(date +%s)
  rc=0
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))

  # "Done N runs in S second(s)" ends a run that went its full time; a crash has none, then the
  # last status line ("#N ... exec/s: E ...") is what it got to, or, for a crash among the seeds
  # (before any status line), the final stats
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  if [ -n "$done_line" ]; then
    runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")
    took=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")
    [ "$took" -gt 0 ] || took=1
    eps=$(( runs / took ))
  else
    took=$elapsed
    last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1 || true)
    if [ -n "$last" ]; then
      runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
      eps=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    else
      runs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -n 1)
      eps=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -n 1)
    fi
    runs=${runs:-0}
    eps=${eps:-0}
  fi
  files=$(find "$work/corpus" -type f | wc -l)
  kb=$(( ( $(find "$work/corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') + 1023 ) / 1024 ))

  verdict=ok
  first_report=$(grep -m 1 -E "$report_re" "$log" || true)
  if [ "$rc" -ne 0 ]; then
    verdict="FAILED (exit $rc)"
  elif [ -n "$first_report" ]; then
    verdict="FAILED (sanitizer report)"
  elif [ -z "$done_line" ]; then
    verdict="FAILED (no \"Done\" line)"
  fi
  if [ "$verdict" != ok ]; then
    status=1
    {
      echo "fuzz: $name: $verdict"
      [ -n "$first_report" ] && echo "fuzz: $name: first report: $first_report"
      # the report itself, from its first line on (the sanitizer's stack and libFuzzer's summary)
      if [ -n "$first_report" ]; then
        grep -n -m 1 -E "$report_re|ERROR: libFuzzer|==ERROR" "$log" | cut -d: -f1 |
          { read -r at; sed -n "$(( at > 3 ? at - 3 : 1 )),$(( at + 40 ))p" "$log"; }
      else
        tail -n 40 "$log"
      fi
      ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | sed 's/^/fuzz: input kept: /' || true
    } >&2
  fi
  rows+=("$name|$took|$runs|$eps|$files|$kb|$verdict")
done

echo
printf '%-16s %8s %12s %9s %16s  %s\n' target seconds executions exec/s "corpus at end" status
for r in "${rows[@]}"; do
  IFS='|' read -r name took runs eps files kb verdict <<<"$r"
  printf '%-16s %8s %12s %9s %16s  %s\n' "$name" "$took" "$runs" "$eps" "$files files ${kb} KB" "$verdict"
done
echo "logs and corpora: $out/"
[ "$status" -eq 0 ] && echo "fuzz: all ${#bins[@]} targets ran ${secs}s each without a crash or sanitizer report"
exit "$status"
