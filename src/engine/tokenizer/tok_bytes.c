/* GPT-2's byte-level alphabet and readable token pieces.
 *
 * GPT-2 stores every byte as a printable character so that vocabulary files are text: the 188
 * printable Latin-1 bytes stand for themselves and the other 68 (control bytes, space, 0x7F-0xA0,
 * 0xAD) are shifted to U+0100..U+0143 in byte order, so space is "Ġ" (U+0120) and newline "Ċ"
 * (U+010A). attnscope decodes vocabularies back to raw bytes once at load time. */
#include "base.h"
#include "tok_internal.h"

#include <stdio.h>

static bool printable_byte(int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* Byte of a byte-level code point, or -1. The shifted code points U+0100.. stand for the
 * non-printable bytes in order: 0x00-0x20 (33), 0x7F-0xA0 (34), then 0xAD. */
static int byte_of_codepoint(int32_t cp) {
    if (cp < 0x100)
        return cp >= 0 && printable_byte((int)cp) ? (int)cp : -1;
    int32_t k = cp - 0x100;
    if (k <= 32)
        return (int)k;
    if (k <= 66)
        return 0x7F + (int)(k - 33);
    return k == 67 ? 0xAD : -1;
}

ats_status ats_tok_bytelevel_decode(const char *s, size_t n, tok_buf *out, bool *ok,
                                    ats_error *err) {
    *ok = true;
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        i += ats_tok_utf8_decode(s + i, n - i, &cp);
        int b = byte_of_codepoint(cp);
        if (b < 0) {
            *ok = false;
            return ATS_OK;
        }
        char c = (char)b;
        ats_status st = ats_tok_buf_append(out, &c, 1, err);
        if (st != ATS_OK)
            return st;
    }
    return ATS_OK;
}

/* Length of a complete, valid UTF-8 sequence at s[0..n), or 0. */
static size_t valid_sequence(const unsigned char *s, size_t n) {
    size_t k = ats_tok_utf8_len(s[0]);
    if (s[0] >= 0x80 && (k == 1 || s[0] == 0xC0 || s[0] == 0xC1 || s[0] > 0xF4))
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    if (k == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (k == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return k;
}

ats_status ats_tok_render_bytes(tok_buf *out, const char *s, size_t n, ats_error *err) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = valid_sequence(u + i, n - i);
        ats_status st;
        if (k) {
            st = ats_tok_buf_append(out, s + i, k, err);
            i += k;
        } else {
            char hex[8];
            snprintf(hex, sizeof hex, "<0x%02X>", u[i]);
            st = ats_tok_buf_append(out, hex, 6, err);
            i++;
        }
        if (st != ATS_OK)
            return st;
    }
    return ATS_OK;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ats_tok_parse_byte_token(const char *s, size_t n) {
    if (n != 6 || s[0] != '<' || s[1] != '0' || s[2] != 'x' || s[5] != '>')
        return -1;
    int hi = hex_digit(s[3]), lo = hex_digit(s[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}
