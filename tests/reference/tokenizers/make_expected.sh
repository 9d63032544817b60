#!/usr/bin/env bash
# Regenerates tests/reference/tokenizers/FAMILY.jsonl: the token ids Hugging Face's tokenizers
# library (the npm package `tokenizers`, its Rust core) gives for texts.json (and
# texts_masked.json for the *_mlm families) under the
# tokenizer.json that make_family.py writes for each family. Run it after changing either; the
# tests compare attnscope's ids with these files. Needs node, npm (the registry, once) and
# /usr/bin/python3 with numpy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm install --silent --prefix "$work/npm" tokenizers@0.23.2 >/dev/null
# the families with a masked-LM head (*_mlm) also get texts_masked.json's texts with [MASK] and
# <mask> in them
/usr/bin/python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])) + json.load(open(sys.argv[2])), open(sys.argv[3], "w"), ensure_ascii=False)' \
    "$here/texts.json" "$here/texts_masked.json" "$work/texts_mlm.json"
for family in $(/usr/bin/python3 "$here/../make_family.py" --list); do
    /usr/bin/python3 "$here/../make_family.py" "$family" "$work/$family"
    texts="$here/texts.json"
    [[ "$family" == *_mlm ]] && texts="$work/texts_mlm.json"
    NODE_PATH="$work/npm/node_modules" node "$here/expected_ids.js" \
        "$work/$family/tokenizer.json" "$texts" >"$here/$family.jsonl"
    echo "$family: $(wc -l <"$here/$family.jsonl") texts"
done
