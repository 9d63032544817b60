"""GGUF metadata entries as bytes, for the test scripts that write GGUF files (no numpy needed).

kv(key, vtype, value) packs one key-value pair; an array is kv(key, ARR, (element_type, items))
with elements of type U8, I32, F32 or STR. Layout from the GGUF specification (ggml's docs)."""
import struct

U8, U32, I32, F32, BOOL, STR, ARR = 0, 4, 5, 6, 7, 8, 9


def gstr(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(s)) + s


def kv(key, vtype, value):
    out = gstr(key) + struct.pack("<I", vtype)
    if vtype == U32:
        return out + struct.pack("<I", value)
    if vtype == F32:
        return out + struct.pack("<f", value)
    if vtype == BOOL:
        return out + struct.pack("<B", 1 if value else 0)
    if vtype == STR:
        return out + gstr(value)
    etype, items = value
    out += struct.pack("<IQ", etype, len(items))
    if etype == STR:
        return out + b"".join(gstr(x) for x in items)
    fmt = {U8: "B", I32: "i", F32: "f"}[etype]
    return out + struct.pack("<%d%s" % (len(items), fmt), *items)
