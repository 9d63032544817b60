#!/usr/bin/env bash
# The explorer window on a virtual display: starts attnscope under xvfb-run, waits for its
# window, types and edits with xdotool, presses the view/layer/head/help/size/full-screen keys,
# resizes, takes screenshots before and after, checks the process stayed alive and quits with
# Ctrl+Q and exit status 0 (under ASan: no leak or error report). Then opens a broken model file
# and checks the error names it and the window falls back to builtin:demo.
#
# Typing is checked through the latency log (ATS_LATENCY_LOG): a line per update of the views,
# so "bytes=22 ... status=ok" proves the keystrokes reached the editor, ran on the worker and
# were presented. With --expect-change the two screenshots must differ (meaningful once the
# window draws through the render library).
#
# usage: test_gui_window.sh ATTNSCOPE OUTDIR [--expect-change]
# Exit 77 (skipped) when xvfb-run, xauth, xdotool or ImageMagick is missing.
set -u

ATS=$1
OUT=$2
EXPECT_CHANGE=${3:-}

skip() {
    echo "skipped: $*"
    exit 77
}

if [ -z "${ATS_GUI_INSIDE_XVFB:-}" ]; then
    for tool in xvfb-run xauth xdotool import compare; do
        command -v "$tool" >/dev/null 2>&1 ||
            skip "$tool is not installed (scripts/setup.sh installs xvfb, xauth, xdotool, imagemagick)"
    done
    export ATS_GUI_INSIDE_XVFB=1
    exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$0" "$@"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.log
LOG=$OUT/latency.log
ERR=$OUT/stderr.log
PID=

fail() {
    echo "FAIL: $*"
    if [ -s "$ERR" ]; then
        echo "attnscope's stderr:"
        sed 's/^/  /' "$ERR" | head -60
    fi
    [ -s "$LOG" ] && { echo "latency log:"; sed 's/^/  /' "$LOG" | tail -5; }
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    echo "screenshots and logs: $OUT"
    exit 1
}

alive() {
    kill -0 "$PID" 2>/dev/null || fail "attnscope exited early${1:+ ($1)}"
}

# Waits until the newest update of the views ran a text of $1 bytes.
wait_update() {
    for _ in $(seq 600); do
        if grep -v '^#' "$LOG" 2>/dev/null | tail -n 1 | grep -q " bytes=$1 .*status=ok"; then
            return 0
        fi
        alive "waiting for a $1-byte update"
        sleep 0.1
    done
    fail "no update of the views for the $1-byte text within 60 s"
}

ATS_LATENCY_LOG=$LOG "$ATS" --text "The cat" 2>"$ERR" &
PID=$!

WID=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' 2>/dev/null | head -n 1)
[ -n "$WID" ] || fail "no attnscope window appeared within 60 s"
wait_update 7
TITLE=$(xdotool getwindowname "$WID")
[ "$TITLE" = "attnscope - builtin:demo" ] || fail "window title is '$TITLE'"
import -window root "$OUT/before.png" || fail "screenshot failed"

# Type: each keystroke reaches the editor, the worker runs, a frame shows it.
xdotool windowfocus --sync "$WID"
xdotool type --delay 25 " sat on the mat"
wait_update 22 # "The cat sat on the mat"

# Views, layers, heads (Esc hands the keys to the views), help, text size, full screen.
xdotool key --delay 40 Tab Down Escape Right 3 question F1 ctrl+plus ctrl+minus F11 F11 shift+Tab
alive "after the view keys"

# Editing keys bring the text box back: Ctrl+Backspace deletes "mat", Ctrl+Z restores it.
xdotool key ctrl+BackSpace
wait_update 19
xdotool key ctrl+z
wait_update 22

xdotool windowsize "$WID" 900 600
sleep 0.5
alive "after resizing"
import -window root "$OUT/after.png" || fail "screenshot failed"

if [ "$EXPECT_CHANGE" = "--expect-change" ]; then
    DIFF=$(compare -metric AE "$OUT/before.png" "$OUT/after.png" null: 2>&1)
    [ "${DIFF%% *}" != "0" ] || fail "typing did not change the window's pixels"
    echo "screenshots differ in $DIFF pixels"
else
    echo "note: screenshots not compared (the window is a plain background until drawing lands)"
fi

xdotool key ctrl+q
for _ in $(seq 300); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$PID" 2>/dev/null && fail "Ctrl+Q did not close the window within 30 s"
wait "$PID"
STATUS=$?
PID=
[ "$STATUS" -eq 0 ] || fail "attnscope exited with status $STATUS"
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$ERR"; then
    fail "sanitizer report"
fi
echo "ok: window opened, typed and edited text ran and was presented, quit cleanly"
grep -v '^#' "$LOG" | tail -n 1

# A broken model file (as when one is dropped on the window): the error names it, the window
# opens on builtin:demo instead, and typing still works.
printf 'GGUF but not a model' >"$OUT/broken.gguf"
rm -f "$LOG"
ATS_LATENCY_LOG=$LOG "$ATS" --model "$OUT/broken.gguf" --text "It" 2>"$ERR" &
PID=$!
WID=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' 2>/dev/null | head -n 1)
[ -n "$WID" ] || fail "no window for a broken model within 60 s"
wait_update 2
grep -q 'broken.gguf.*showing builtin:demo instead' "$ERR" ||
    fail "no error line naming broken.gguf"
xdotool windowfocus --sync "$WID"
xdotool type --delay 25 " works"
wait_update 8
TITLE=$(xdotool getwindowname "$WID")
[ "$TITLE" = "attnscope - builtin:demo" ] || fail "window title is '$TITLE'"
xdotool key ctrl+q
wait "$PID"
STATUS=$?
PID=
[ "$STATUS" -eq 0 ] || fail "attnscope (broken model) exited with status $STATUS"
echo "ok: a broken model file is named in the error and the window falls back to builtin:demo"
exit 0
