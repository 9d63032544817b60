#!/usr/bin/env bash
# Issue 14 in the window on a virtual display of 1920 x 1080 with no window manager: F11 fills
# the screen and gives the window back; F9 hides the side panel (projector mode) and the figure
# grows into its room; Ctrl+O opens the model picker over a made-up Hugging Face cache and working
# directory (picker.png shows their entries; test_app_model_list checks the list itself), and
# Enter opens the entry chosen with Down. Screenshots land in OUTDIR.
#
# usage: test_gui_presentation.sh ATTNSCOPE OUTDIR
# Exit 77 (skipped) when xvfb-run, xauth, xdotool or ImageMagick is missing.
set -u

ATS=$1
OUT=$2

# shellcheck source=gui_common.sh
. "${0%/*}/gui_common.sh"
ats_gui_enter_xvfb 1920x1080 "$0" "$@"

mkdir -p "$OUT"
rm -rf "${OUT:?}"/*
ERR=$OUT/stderr.log
PID=

fail() {
    echo "FAIL: $*"
    [ -s "$ERR" ] && sed 's/^/  /' "$ERR" | head -40
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    echo "screenshots and logs: $OUT"
    exit 1
}

alive() {
    kill -0 "$PID" 2>/dev/null || fail "attnscope exited early${1:+ ($1)}"
}

shot() {
    sleep 0.6
    import -window root "$OUT/$1" || fail "screenshot $1 failed"
}

differ() {
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

geometry() {
    xdotool getwindowgeometry "$WID" | sed -n 's/.*Geometry: \([0-9x]*\).*/\1/p'
}

wait_title() {
    for _ in $(seq ${2:-300}); do
        [ "$(xdotool getwindowname "$WID")" = "attnscope - $1" ] && return 0
        alive "waiting for $1"
        sleep 0.1
    done
    fail "the title is '$(xdotool getwindowname "$WID")', not 'attnscope - $1'"
}

# a home with a Hugging Face cache holding one model, and a working directory with another
export HOME=$OUT/home XDG_CONFIG_HOME=$OUT/home/.config
unset HF_HOME HF_HUB_CACHE
SNAP=$HOME/.cache/huggingface/hub/models--someone--tiny-model/snapshots/0123abcd
mkdir -p "$SNAP" "$OUT/work"
echo '{}' >"$SNAP/config.json"
echo 'GGUF' >"$OUT/work/here-model.gguf"
cd "$OUT/work" || fail "no working directory"

"$ATS" --text "The cat sat on the mat." 2>"$ERR" &
PID=$!
WID=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' 2>/dev/null | head -n 1)
[ -n "$WID" ] || fail "no attnscope window appeared within 60 s"
wait_title "builtin:demo"
xdotool windowfocus --sync "$WID"
shot window.png
BEFORE=$(geometry)

# F11: the whole screen without a window manager, and back
xdotool key F11
for _ in $(seq 50); do [ "$(geometry)" = "1920x1080" ] && break; sleep 0.1; done
[ "$(geometry)" = "1920x1080" ] || fail "F11: the window is $(geometry), not the screen's 1920x1080"
shot fullscreen.png
# F9: projector mode, the panel hidden
xdotool key F9
shot projector.png
differ fullscreen.png projector.png "the panel hidden (F9)"
xdotool key F9
shot panel-again.png
differ projector.png panel-again.png "the panel shown again (F9)"
xdotool key F11
for _ in $(seq 50); do [ "$(geometry)" = "$BEFORE" ] && break; sleep 0.1; done
[ "$(geometry)" = "$BEFORE" ] || fail "F11 again: the window is $(geometry), not $BEFORE"
echo "ok: F11 filled the screen and gave it back ($BEFORE); F9 hid and showed the panel"

# Ctrl+O: the picker; its entries are built in (2), the cache's model, this folder's file
xdotool key ctrl+o
shot picker.png
differ window.png picker.png "the model picker (Ctrl+O)"
xdotool key Down Return # builtin:tiny
wait_title "builtin:tiny"
echo "ok: Ctrl+O, Down, Enter opened builtin:tiny"
xdotool key Escape ctrl+o Escape
alive "after the picker"

xdotool key ctrl+q
wait "$PID"
STATUS=$?
PID=
[ "$STATUS" -eq 0 ] || fail "attnscope exited with status $STATUS"
exit 0
