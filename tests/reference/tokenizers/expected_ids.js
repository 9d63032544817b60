// Writes one JSON line {"text", "ids"} per text of texts.json as Hugging Face's tokenizers
// library encodes it with the tokenizer.json given (special tokens added as the file says).
// usage: node expected_ids.js TOKENIZER_JSON TEXTS_JSON > FAMILY.jsonl
const { Tokenizer } = require("tokenizers");
const fs = require("fs");
const [tokenizerPath, textsPath] = process.argv.slice(2);
const tokenizer = Tokenizer.fromFile(tokenizerPath);
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
(async () => {
  for (const text of texts) {
    const enc = await tokenizer.encode(text, null, { addSpecialTokens: true });
    process.stdout.write(JSON.stringify({ text, ids: enc.getIds() }) + "\n");
  }
})();
