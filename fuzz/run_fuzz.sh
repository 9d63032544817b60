#!/usr/bin/env bash
# Runs one libFuzzer target for a while from its committed seed corpus and says what it found.
# New inputs go to a scratch copy (the committed corpus is only read); a crash, leak, timeout or
# out-of-memory input is kept in WORK_DIR and named. Used by ctest in the fuzz preset (each
# target 20 s by default) and by bench/fuzz_campaign.sh.
#
# usage: run_fuzz.sh TARGET_BINARY CORPUS_DIR SECONDS WORK_DIR
# Prints one line "TARGET: N executions in S s (R/s), corpus A -> B inputs, cov C, crashes K"
# and exits 1 when an input crashed the target, 0 otherwise.
set -u
BIN=$1
CORPUS=$2
SECONDS_TOTAL=$3
WORK=$4
NAME=$(basename "$BIN")
mkdir -p "$WORK/corpus" "$WORK/artifacts"
LOG=$WORK/$NAME.log
: >"$LOG"
seeds=()
[ -d "$CORPUS" ] && seeds=("$CORPUS") || echo "$NAME: no seed corpus at $CORPUS, starting empty"
start_units=$(find "$WORK/corpus" ${seeds[@]+"${seeds[@]}"} -type f 2>/dev/null | wc -l)

# One run per crash: libFuzzer stops at the first one; the remaining time goes to the next run.
left=$SECONDS_TOTAL
execs=0
crashes=0
while [ "$left" -gt 0 ]; do
    t0=$(date +%s)
    "$BIN" -max_total_time="$left" -print_final_stats=1 -timeout=20 -rss_limit_mb=2560 \
        -artifact_prefix="$WORK/artifacts/" "$WORK/corpus" ${seeds[@]+"${seeds[@]}"} >>"$LOG" 2>&1
    status=$?
    n=$(grep 'stat::number_of_executed_units' "$LOG" | tail -n 1 | awk '{print $2}')
    execs=$((execs + ${n:-0}))
    spent=$(($(date +%s) - t0))
    left=$((left - (spent > 0 ? spent : 1)))
    [ "$status" -eq 0 ] && break
    crashes=$((crashes + 1))
    [ "$crashes" -ge 20 ] && break # something crashes on every input: enough
done
end_units=$(find "$WORK/corpus" ${seeds[@]+"${seeds[@]}"} -type f | wc -l)
cov=$(grep -o 'cov: [0-9]*' "$LOG" | tail -n 1 | awk '{print $2}')
rate=$((execs / (SECONDS_TOTAL > 0 ? SECONDS_TOTAL : 1)))
echo "$NAME: $execs executions in ${SECONDS_TOTAL} s ($rate/s), corpus $start_units -> $end_units inputs, cov ${cov:-?}, crashes $crashes"
if [ "$crashes" -gt 0 ]; then
    echo "inputs that failed (reproduce with: $BIN FILE):"
    ls -1 "$WORK/artifacts" | sed "s|^|  $WORK/artifacts/|"
    grep -m 3 -A 12 -e 'ERROR: AddressSanitizer' -e 'ERROR: libFuzzer' -e 'runtime error' \
        -e 'ERROR: LeakSanitizer' "$LOG"
    exit 1
fi
exit 0
