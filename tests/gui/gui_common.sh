# Sourced by the tests/gui scripts: the start every one of them shares.
#
# ats_gui_enter_xvfb WxH SCRIPT ARGS...: outside a virtual display, checks the tools the tests
# use (exit 77, skipped, when one is missing) and runs SCRIPT ARGS again under xvfb-run on a
# screen of WxH; inside it, returns.

skip() {
    echo "skipped: $*"
    exit 77
}

ats_gui_enter_xvfb() {
    local screen=$1
    shift
    [ -n "${ATS_GUI_INSIDE_XVFB:-}" ] && return 0
    for tool in xvfb-run xauth xdotool import compare; do
        command -v "$tool" >/dev/null 2>&1 ||
            skip "$tool is not installed (scripts/setup.sh installs xvfb, xauth, xdotool, imagemagick)"
    done
    export ATS_GUI_INSIDE_XVFB=1
    exec xvfb-run -a -s "-screen 0 ${screen}x24 -nolisten tcp" "$@"
}
