#!/usr/bin/env bash
# Keystroke-to-frame latency of the explorer window, as the window itself records it
# (ATS_LATENCY_LOG, src/app/latency.h), on a virtual display. For each model and each text
# length it opens the window on a text of that many tokens, types characters one at a time with
# xdotool, and reports the median and worst time from a key event to the first frame showing
# its result, with the tokenize, forward and draw times of those updates; and the median and
# worst time from a key event to the frame that first shows the typed character ("echo"), with
# how many of those frames came while the run was still computing (the window does not wait).
#
# usage: bench/window_latency.sh [-b ATTNSCOPE] [-n "16 128"] [-k KEYS] [-d DELAY_MS] [-s] MODEL...
#   -b  the attnscope binary (default build/default/attnscope)
#   -n  token counts to measure at (default "16 128")
#   -k  keystrokes per measurement (default 20)
#   -d  pause between keystrokes in ms (default 250; shorter than a forward pass measures
#       superseded runs, reported as oldest_ms in the log)
#   -s  type at the start of the text rather than at its end: causal models then cannot reuse
#       the previous run for an unchanged start, so every keystroke runs the whole text
# Needs xvfb-run and xdotool (scripts/setup.sh). Logs stay in ${TMPDIR:-/tmp}/attnscope-latency.
set -euo pipefail

ATS=build/default/attnscope
SIZES="16 128"
KEYS=20
DELAY=250
AT_START=
while getopts "b:n:k:d:s" opt; do
    case $opt in
    b) ATS=$OPTARG ;;
    n) SIZES=$OPTARG ;;
    k) KEYS=$OPTARG ;;
    d) DELAY=$OPTARG ;;
    s) AT_START=-s ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || set -- builtin:demo

if [ -z "${ATS_LATENCY_INSIDE_XVFB:-}" ]; then
    for tool in xvfb-run xdotool; do
        command -v "$tool" >/dev/null || { echo "window_latency: $tool is not installed" >&2; exit 1; }
    done
    export ATS_LATENCY_INSIDE_XVFB=1
    exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$0" -b "$ATS" -n "$SIZES" \
        -k "$KEYS" -d "$DELAY" $AT_START "$@"
fi

OUT=${TMPDIR:-/tmp}/attnscope-latency
mkdir -p "$OUT"
WORDS="the animal did not cross the street because it was too tired and the teacher said that"

# A text giving about $2 tokens on model $1: a long text, cut after its $2-th token.
text_for() {
    local long="" i
    for i in $(seq $(($2 / 4 + 4))); do long="$long$WORDS "; done
    local cut
    cut=$("$ATS" tokenize --model "$1" --text "$long" --json | grep -o '"end":[0-9]*' |
        cut -d: -f2 | sed -n "$2p")
    printf '%s' "${long:0:${cut:-${#long}}}"
}

# median and max of the numbers on stdin
stats() {
    sort -g | awk '{v[NR] = $1} END {if (NR == 0) {print "-", "-"; exit}
        printf "%.2f %.2f\n", v[int((NR + 1) / 2)], v[NR]}'
}

field() { grep -o " $1=[0-9.]*" | cut -d= -f2; }

printf "%-18s %6s %5s %15s %8s %10s %10s %7s %12s %8s %6s\n" model tokens keys \
    "latency median" worst tokenize forward draw "echo median" worst "busy"
for model in "$@"; do
    for n in $SIZES; do
        text=$(text_for "$model" "$n") || { echo "$model: cannot tokenize" >&2; continue; }
        log=$OUT/$(basename "$model")-$n.log
        rm -f "$log"
        ATS_LATENCY_LOG=$log "$ATS" --model "$model" --text "$text" 2>"$OUT/stderr.log" &
        pid=$!
        wid=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' | head -n 1)
        for _ in $(seq 1200); do # the model loads and runs once
            grep -q 'status=ok' "$log" 2>/dev/null && break
            sleep 0.1
        done
        first=$(wc -l <"$log")
        xdotool windowfocus --sync "$wid"
        [ -n "$AT_START" ] && xdotool key ctrl+Home
        for k in $(seq "$KEYS"); do
            xdotool type --delay 0 "$(printf '%s' "abcdefghij " | cut -c$(((k - 1) % 11 + 1)))"
            sleep "$(awk "BEGIN {print $DELAY / 1000}")"
        done
        sleep 1
        xdotool key ctrl+q
        wait "$pid" || true
        lines=$(tail -n +$((first + 1)) "$log" | grep 'status=ok' || true)
        echoes=$(tail -n +$((first + 1)) "$log" | grep '^echo ' || true)
        read -r echo_med echo_max < <(echo "$echoes" | field latency_ms | stats)
        busy=$(echo "$echoes" | grep -c 'computing=1' || true)
        read -r lat_med lat_max < <(echo "$lines" | field latency_ms | stats)
        read -r tok_med _ < <(echo "$lines" | field tokenize_ms | stats)
        read -r fwd_med _ < <(echo "$lines" | field forward_ms | stats)
        read -r drw_med _ < <(echo "$lines" | field draw_ms | stats)
        tokens=$(echo "$lines" | field tokens | stats | awk '{print int($1)}')
        printf "%-18s %6s %5s %15s %8s %10s %10s %7s %12s %8s %6s\n" "$(basename "$model")" \
            "$tokens" "$(echo "$lines" | grep -c . || true)" "$lat_med" "$lat_max" "$tok_med" \
            "$fwd_med" "$drw_med" "$echo_med" "$echo_max" "$busy/$(echo "$echoes" | grep -c . || true)"
    done
done
echo "(milliseconds; median over keystrokes; latency = key event to the frame showing its result;"
echo " echo = key event to the frame showing the typed character; busy = echo frames shown while"
echo " the run was still computing; logs in $OUT)"
