#!/usr/bin/env bash
# The training replay on a virtual display. Trains a small model with `attnscope train`
# (a checkpoint every 10 steps), opens the folder in the window and checks that the title names
# its newest checkpoint; PageUp and PageDown step through the checkpoints (the title follows and
# the picture changes); F5 plays them to the end; the grid view shows; a click on builtin:tiny
# leaves the folder; Ctrl+Q quits with status 0. Then a run still being trained is opened: the
# window follows its newest checkpoint as each one lands (the live view). Screenshots go to
# OUTDIR for a look.
#
# usage: test_gui_training.sh ATTNSCOPE OUTDIR
# Exit 77 (skipped) when xvfb-run, xauth, xdotool or ImageMagick is missing.
set -u

ATS=$1
OUT=$2

# shellcheck source=gui_common.sh
. "${0%/*}/gui_common.sh"
ats_gui_enter_xvfb 1280x800 "$0" "$@"

mkdir -p "$OUT"
rm -rf "$OUT"/*.png "$OUT"/*.log "$OUT"/run "$OUT"/live
ERR=$OUT/stderr.log
PID=
TRAIN_PID=

fail() {
    echo "FAIL: $*"
    [ -s "$ERR" ] && { echo "attnscope's stderr:"; sed 's/^/  /' "$ERR" | head -40; }
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    [ -n "$TRAIN_PID" ] && kill "$TRAIN_PID" 2>/dev/null
    echo "screenshots and logs: $OUT"
    exit 1
}

alive() {
    kill -0 "$PID" 2>/dev/null || fail "attnscope exited early${1:+ ($1)}"
}

shot() {
    sleep 0.5
    import -window root "$OUT/$1" || fail "screenshot $1 failed"
}

differ() {
    local diff
    diff=$(compare -metric AE "$OUT/$1" "$OUT/$2" null: 2>&1)
    [ "${diff%% *}" != "0" ] || fail "$3: $1 and $2 are the same picture"
    echo "$1 -> $2 ($3): $diff pixels differ"
}

# Waits until the window's title is $1 (the model shown: "run · step 20"), at most $2 tenths of a
# second (30 s).
wait_title() {
    for _ in $(seq "${2:-300}"); do
        [ "$(xdotool getwindowname "$WID")" = "attnscope - $1" ] && return 0
        alive "waiting for the title '$1'"
        sleep 0.1
    done
    fail "the title is '$(xdotool getwindowname "$WID")', not 'attnscope - $1'"
}

SMALL=(--corpus builtin:repeats --layers 2 --heads 2 --d-model 16 --attn-only --context 16
    --batch 8 --vocab 40 --threads 1 --quiet)
"$ATS" train "${SMALL[@]}" --steps 40 --checkpoint-every 10 -o "$OUT/run" >/dev/null ||
    fail "attnscope train failed"

"$ATS" --model "$OUT/run" --text "a b c d a b c d" 2>"$ERR" &
PID=$!
WID=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' 2>/dev/null | head -n 1)
[ -n "$WID" ] || fail "no attnscope window appeared within 60 s"
STEP=$(printf 'run \xC2\xB7 step')
wait_title "$STEP 40"
shot newest.png

xdotool windowfocus --sync "$WID"
xdotool key Prior Prior
wait_title "$STEP 20"
shot step20.png
differ newest.png step20.png "PageUp twice"
xdotool key Prior Prior Prior
wait_title "$STEP 0"
xdotool key Next
wait_title "$STEP 10"
shot step10.png
differ step20.png step10.png "PageDown"

xdotool key F5 # plays to the end
wait_title "$STEP 40"
shot played.png
xdotool key Escape Tab Tab # the grid, with each checkpoint's badges
shot grid.png
differ played.png grid.png "the grid view"
xdotool key F1
shot help.png
xdotool key Escape
alive "after the replay keys"

# builtin:tiny, offered beside builtin:demo in the panel (under "Open a model..."): its button
# opens it
# (a click is hit-tested against the last frame drawn: under a sanitizer that may still be the
# help overlay closed just before, so the click is repeated until the title follows)
BUTTON=$(xdotool getwindowgeometry "$WID" | sed -n 's/.*Geometry: \([0-9]*\)x.*/\1/p')
for _ in $(seq 5); do
    xdotool mousemove --window "$WID" $((BUTTON - 82)) 275 click 1
    for _ in $(seq 50); do
        [ "$(xdotool getwindowname "$WID")" = "attnscope - builtin:tiny" ] && break 2
        sleep 0.1
    done
done
wait_title "builtin:tiny"
shot tiny.png
differ grid.png tiny.png "builtin:tiny"

xdotool key ctrl+q
wait "$PID"
STATUS=$?
PID=
[ "$STATUS" -eq 0 ] || fail "attnscope exited with status $STATUS"
echo "ok: the folder opened at its newest checkpoint, PageUp / PageDown / F5 stepped and played, builtin:tiny opened"

# The live view: a run still training, opened after its first checkpoints.
"$ATS" train "${SMALL[@]}" --steps 3000 --checkpoint-every 500 -o "$OUT/live" >/dev/null &
TRAIN_PID=$!
for _ in $(seq 600); do
    grep -q '"checkpoint":"checkpoints/step-000500"' "$OUT/live/train_log.jsonl" 2>/dev/null && break
    sleep 0.1
done
"$ATS" --model "$OUT/live" --text "a b a b" 2>"$ERR" &
PID=$!
WID=$(timeout 60 xdotool search --sync --onlyvisible --name '^attnscope' 2>/dev/null | head -n 1)
[ -n "$WID" ] || fail "no window for the live run within 60 s"
LIVE=$(printf 'live \xC2\xB7 step')
wait_title "$LIVE 3000" 3000 # the window follows the checkpoints as they land
shot live.png
wait "$TRAIN_PID" || fail "the live training run failed"
TRAIN_PID=
xdotool key ctrl+q
wait "$PID"
STATUS=$?
PID=
[ "$STATUS" -eq 0 ] || fail "attnscope (live) exited with status $STATUS"
echo "ok: the window followed a training run to its last checkpoint"
exit 0
