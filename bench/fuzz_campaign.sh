#!/usr/bin/env bash
# A longer fuzzing campaign: every libFuzzer target (fuzz/fuzz_*.c) for SECONDS each, from its
# committed seed corpus, and a table of what each did: executions, executions per second, the
# corpus it grew, coverage, and crashes (each crash restarts the target for the time left, so the
# count is of distinct failing inputs found). Failing inputs are kept for a look.
#
#   bench/fuzz_campaign.sh [SECONDS] [TARGET ...]      default 300 s, every target
#
# Builds the `fuzz` preset first (clang's libFuzzer; scripts/setup.sh installs it). Work goes to
# build/fuzz/campaign/<target>/ (grown corpus, artifacts, log). Exit status 1 when any target
# crashed. CI runs each target for 20 s through ctest instead (ctest --preset fuzz).
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-300}
shift || true

cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j2 >/dev/null || {
    echo "fuzz_campaign: the fuzz preset does not build (is clang installed? scripts/setup.sh)"
    exit 2
}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in fuzz/fuzz_*.c; do
        targets+=("$(basename "$src" .c)")
    done
fi

WORK=build/fuzz/campaign
printf '%-22s %9s %12s %9s %16s %6s %8s\n' target seconds executions "exec/s" "corpus" cov crashes
status=0
summaries=()
for t in "${targets[@]}"; do
    rm -rf "${WORK:?}/$t"
    line=$(fuzz/run_fuzz.sh "build/fuzz/fuzz/$t" "fuzz/corpus/$t" "$SECONDS_EACH" "$WORK/$t" |
        grep "^$t: ")
    # "T: N executions in S s (R/s), corpus A -> B inputs, cov C, crashes K"
    read -r execs secs rate a b cov crashes < <(echo "$line" |
        sed -E 's/^[^:]*: ([0-9]+) executions in ([0-9]+) s \(([0-9]+)\/s\), corpus ([0-9]+) -> ([0-9]+) inputs, cov ([0-9?]+), crashes ([0-9]+)$/\1 \2 \3 \4 \5 \6 \7/')
    printf '%-22s %9s %12s %9s %16s %6s %8s\n' "$t" "$secs" "$execs" "$rate" "$a -> $b" "$cov" \
        "$crashes"
    if [ "${crashes:-0}" != 0 ]; then
        status=1
        summaries+=("$t: failing inputs in $WORK/$t/artifacts/ (log $WORK/$t/$t.log)")
    fi
done
for s in ${summaries[@]+"${summaries[@]}"}; do
    echo "$s"
done
exit $status
