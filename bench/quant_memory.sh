#!/usr/bin/env bash
# Peak memory of real-scale quantized models: for each type it writes a Llama-2-7B-shaped GGUF
# with random valid blocks (../shared/tools/make_llama_gguf.py, about 4 GB each), runs
# `attnscope info` and `attnscope dump --layer 31 --head 0 --format npy` on a sentence under
# /usr/bin/time -v, prints the file size, the peak resident size and their ratio (the goal is at
# most 1.3: weights stay in their stored encoding), and deletes the file.
#
# usage: bench/quant_memory.sh [-b ATTNSCOPE] [-d DIR] [-k] [TYPE ...]   default: Q4_0 Q4_K_M
#   -b  the attnscope binary (default build/default/attnscope)
#   -d  where the models go (default ${TMPDIR:-/tmp}); they need about 4 GB of disk each
#   -k  keep the models
# Needs /usr/bin/python3 with numpy and GNU time (scripts/setup.sh has python3-numpy).
set -euo pipefail

ATS=build/default/attnscope
DIR=${TMPDIR:-/tmp}
KEEP=
while getopts "b:d:k" opt; do
    case $opt in
    b) ATS=$OPTARG ;;
    d) DIR=$OPTARG ;;
    k) KEEP=1 ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
TYPES=("$@")
[ ${#TYPES[@]} -gt 0 ] || TYPES=(Q4_0 Q4_K_M)
HERE=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=$HERE/../shared/tools
VOCAB=$HERE/../shared/fixtures/gguf/ggml-vocab-llama-spm.gguf
TEXT="The quick brown fox jumps over the lazy dog."

printf "%-8s %12s %12s %7s %9s\n" type "file MB" "peak MB" ratio "dump s"
for t in "${TYPES[@]}"; do
    model=$DIR/attnscope-7b-$t.gguf
    /usr/bin/python3 "$TOOLS/make_llama_gguf.py" --vocab-from "$VOCAB" -o "$model" --type "$t"
    "$ATS" info --model "$model" | grep -E "^(dtype|tensors|memory) " >&2
    log=$(mktemp)
    /usr/bin/time -v "$ATS" dump --model "$model" --text "$TEXT" --layer 31 --head 0 \
        --format npy -o "$DIR/attnscope-7b-$t.npy" 2>"$log"
    size=$(stat -c %s "$model")
    peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    awk -v t="$t" -v s="$size" -v p="$peak_kb" -v w="$wall" 'BEGIN {
        n = split(w, part, ":"); secs = 0; for (i = 1; i <= n; i++) secs = secs * 60 + part[i];
        printf "%-8s %12.0f %12.0f %7.2f %9.1f\n", t, s / 1e6, p * 1024 / 1e6, p * 1024 / s, secs }'
    rm -f "$log" "$DIR/attnscope-7b-$t.npy"
    [ -n "$KEEP" ] || rm -f "$model"
done
