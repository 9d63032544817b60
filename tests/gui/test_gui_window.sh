#!/usr/bin/env bash
# The explorer window on a virtual display: starts attnscope under xvfb-run, waits for its
# window, types and edits with xdotool, presses the view/layer/head/help/size/full-screen keys,
# clicks a token chip and a view tab, resizes, saves the view with Ctrl+S and the numbers with
# Ctrl+E, drops a model folder and a broken file, takes screenshots along the way, checks the
# process stayed alive and quits with Ctrl+Q and exit status 0 (under ASan: no leak or error
# report). Then opens a broken model file with --model and checks the error names it and the
# window falls back to builtin:demo.
#
# Typing is checked through the latency log (ATS_LATENCY_LOG): a line per update of the views,
# so "bytes=22 ... status=ok" proves the keystrokes reached the editor, ran on the worker and
# were presented. With --expect-change the screenshots must differ where the window changed
# (typing, another view).
#
# Drops: xdotool cannot perform an X11 drag and drop, so the test writes the paths into the file
# named by ATS_TEST_DROP_FILE; the window turns each line into an SDL_DROPFILE event and handles
# it exactly as a dropped file (a line "shift:DIR" as a folder dropped with Shift held: the
# export folder).
#
# usage: test_gui_window.sh ATTNSCOPE OUTDIR [--expect-change | --no-expect-change] [SHARED_DIR]
# Exit 77 (skipped) when xvfb-run, xauth, xdotool or ImageMagick is missing.
set -u

ATS=$1
OUT=$2
EXPECT_CHANGE=${3:-}
SHARED=${4:-}

# shellcheck source=gui_common.sh
. "${0%/*}/gui_common.sh"
ats_gui_enter_xvfb 1280x800 "$0" "$@"

mkdir -p "$OUT"
rm -rf "$OUT"/*.png "$OUT"/*.log "$OUT"/drops "$OUT"/exports
DROPS=$OUT/drops
EXPORTS=$OUT/exports
mkdir -p "$EXPORTS"
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
        if grep -v -e '^#' -e '^echo' "$LOG" 2>/dev/null | tail -n 1 | grep -q " bytes=$1 .*status=ok"; then
            return 0
        fi
        alive "waiting for a $1-byte update"
        sleep 0.1
    done
    fail "no update of the views for the $1-byte text within 60 s"
}

# Screenshots $1 and $2 must differ (with --expect-change). While they do not, $2 is taken again
# for up to 10 s: under a sanitizer a frame can take most of a second to draw.
differ() {
    [ "$EXPECT_CHANGE" = "--expect-change" ] || return 0
    local diff
    for _ in $(seq 50); do
        diff=$(compare -metric AE "$OUT/$1" "$OUT/$2" null: 2>&1)
        [ "${diff%% *}" != "0" ] && break
        sleep 0.2
        import -window root "$OUT/$2" || fail "screenshot $2 failed"
    done
    [ "${diff%% *}" != "0" ] || fail "$3: $1 and $2 are the same picture"
    echo "$1 -> $2 ($3): $diff pixels differ"
}

shot() {
    sleep 0.4
    import -window root "$OUT/$1" || fail "screenshot $1 failed"
}

: >"$DROPS"
ATS_LATENCY_LOG=$LOG ATS_TEST_DROP_FILE=$DROPS "$ATS" --text "The cat" 2>"$ERR" &
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

shot typed.png
differ before.png typed.png "typing"

# Another view and another head change the picture; a click on a tab and on a chip works.
xdotool key Escape Tab
shot lines.png
differ typed.png lines.png "the lines view"
xdotool key Tab
shot grid.png
differ lines.png grid.png "the grid view"
xdotool key Tab space space
shot pipeline.png
differ grid.png pipeline.png "the pipeline view, step 2"
xdotool key Tab
shot aggregate.png
differ pipeline.png aggregate.png "the aggregate view"
xdotool key Tab Up 2
shot head2.png
differ typed.png head2.png "head 2"
xdotool mousemove 60 77 click 1 # the first token chip: locks "The"
shot locked.png
differ head2.png locked.png "locking a token"
alive "after the clicks"

# Ctrl+S saves the view, Ctrl+E the numbers, into the folder dropped with Shift
echo "shift:$EXPORTS" >>"$DROPS"
sleep 0.6
xdotool key ctrl+s
xdotool key ctrl+e
for _ in $(seq 100); do
    [ -e "$EXPORTS/attnscope-run-001.json" ] && break
    sleep 0.1
done
ls "$EXPORTS"/attnscope-heatmap-L0H2-001.png >/dev/null 2>&1 || fail "Ctrl+S saved no PNG in $EXPORTS"
for f in attnscope-run-001.json attnscope-run-001.npy attnscope-run-001-L0H2.csv; do
    [ -s "$EXPORTS/$f" ] || fail "Ctrl+E did not write $f"
done
echo "ok: Ctrl+S and Ctrl+E wrote $(ls "$EXPORTS" | tr '\n' ' ')"

xdotool windowsize "$WID" 900 600
sleep 0.5
alive "after resizing"
import -window root "$OUT/after.png" || fail "screenshot failed"
differ locked.png after.png "resizing"

# Drops: a real model folder opens (the title names it); a broken file leaves it in place.
if [ -n "$SHARED" ] && [ -d "$SHARED/fixtures/hf/tiny-random-gpt2" ]; then
    echo "$SHARED/fixtures/hf/tiny-random-gpt2" >>"$DROPS"
    for _ in $(seq 300); do
        [ "$(xdotool getwindowname "$WID")" = "attnscope - tiny-random-gpt2" ] && break
        alive "loading the dropped folder"
        sleep 0.1
    done
    TITLE=$(xdotool getwindowname "$WID")
    [ "$TITLE" = "attnscope - tiny-random-gpt2" ] || fail "dropped folder not opened: title '$TITLE'"
    shot dropped-model.png
    differ after.png dropped-model.png "the dropped model"
    printf 'GGUF but not a model' >"$OUT/dropped-broken.gguf"
    echo "$OUT/dropped-broken.gguf" >>"$DROPS"
    for _ in $(seq 100); do
        grep -q 'dropped-broken.gguf' "$ERR" && break
        sleep 0.1
    done
    grep -q 'dropped-broken.gguf' "$ERR" || fail "no error naming the dropped broken file"
    shot dropped-broken.png
    TITLE=$(xdotool getwindowname "$WID")
    [ "$TITLE" = "attnscope - tiny-random-gpt2" ] || fail "the broken file replaced the model: '$TITLE'"
    xdotool type --delay 25 " ok"
    alive "after the broken drop"
    echo "ok: a dropped model folder opened; a dropped broken file was named and the model stayed"

    # Analysis on a model that predicts: the next token, value-weighted attention, a head
    # switched off, a second text to compare, the aggregate view; each changes the picture.
    shot analysis-start.png
    xdotool key ctrl+n
    shot next-token.png
    differ analysis-start.png next-token.png "the next token (Ctrl+N)"
    xdotool key ctrl+w
    shot value-weighted.png
    differ next-token.png value-weighted.png "value-weighted attention (Ctrl+W)"
    xdotool key ctrl+d
    shot ablated.png
    differ value-weighted.png ablated.png "a head switched off (Ctrl+D)"
    xdotool key ctrl+b
    shot compare.png
    differ ablated.png compare.png "comparing two texts (Ctrl+B)"
    xdotool key ctrl+b ctrl+r
    shot aggregate-gpt2.png
    differ compare.png aggregate-gpt2.png "the aggregate view (Ctrl+R)"
    alive "after the analysis keys"
    echo "ok: next token, value-weighted, ablation, compare and aggregate each changed the window"
else
    echo "note: ../shared/fixtures/hf/tiny-random-gpt2 absent: model drop not tested"
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
grep -v -e '^#' -e '^echo' "$LOG" | tail -n 1

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
