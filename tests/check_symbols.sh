#!/usr/bin/env bash
# Every global symbol a library of attnscope defines starts with ats_ (DESIGN.md's naming rule):
# lists the defined global symbols of each libattnscope_*.a in the build folder with nm and
# prints those that do not. Names starting with "__" are the compiler's own (sanitizer and
# coverage instrumentation) and are left out. New libraries are checked without listing them here.
#
# usage: check_symbols.sh BUILD_DIR        exit 0 clean, 1 offenders, 77 skipped (no nm)
set -u
BUILD=$1
command -v nm >/dev/null 2>&1 || { echo "skipped: nm is not installed (binutils)"; exit 77; }
shopt -s nullglob
libs=("$BUILD"/libattnscope_*.a)
[ ${#libs[@]} -gt 0 ] || { echo "no libattnscope_*.a in $BUILD"; exit 1; }
bad=0
for lib in "${libs[@]}"; do
    # "file.o:" headers and undefined symbols have fewer than three fields
    offenders=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' |
        grep -v -e '^ats_' -e '^__' | sort -u)
    count=$(nm -g --defined-only "$lib" | awk 'NF == 3' | wc -l)
    if [ -n "$offenders" ]; then
        echo "$(basename "$lib"): global symbols without the ats_ prefix:"
        echo "$offenders" | sed 's/^/  /'
        bad=1
    else
        echo "$(basename "$lib"): $count global symbols, all ats_"
    fi
done
exit $bad
