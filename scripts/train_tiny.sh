#!/usr/bin/env bash
# Retrains builtin:tiny from scratch: the recipe below, then the final model copied into
# assets/tiny (config.json, model.safetensors, tokenizer.json). On the same machine and build the
# same recipe gives the same weights bit for bit; tests/test_train.c replays its first steps.
#
# usage: scripts/train_tiny.sh [ATTNSCOPE] [RUN_DIR]
#   ATTNSCOPE  the program (default build/default/attnscope)
#   RUN_DIR    where the training folder goes (default: a new temporary folder); open it in the
#              window (attnscope --model RUN_DIR) to replay the heads forming
set -euo pipefail
cd "$(dirname "$0")/.."

ATS=${1:-build/default/attnscope}
RUN=${2:-$(mktemp -d)/tiny}

# The recipe: a 2-layer, 4-head, 64-wide attention-only transformer with rotary positions,
# trained on builtin:repeats (random words from a 567-token vocabulary with repeated segments)
# for 2000 steps of 32 sequences of 64 tokens, AdamW at 1e-3, seed 1. Its induction heads
# form around step 900.
"$ATS" train --corpus builtin:repeats --layers 2 --heads 4 --d-model 64 --attn-only \
    --positions rope --context 64 --steps 2000 --batch 32 --lr 0.001 --warmup 100 \
    --weight-decay 0.01 --seed 1 --checkpoint-every 50 -o "$RUN"

mkdir -p assets/tiny
cp "$RUN/config.json" "$RUN/model.safetensors" "$RUN/tokenizer.json" assets/tiny/
"$ATS" info --model assets/tiny --scores
echo "builtin:tiny updated from $RUN"
