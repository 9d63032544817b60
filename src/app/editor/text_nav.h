/* Cursor arithmetic over valid UTF-8: grapheme clusters (UAX #29 via utf8proc), words and lines.
 * Every function takes a text of `len` bytes that is valid UTF-8 and a byte offset `pos` in
 * [0, len], and returns a byte offset in [0, len]. Pure functions, no allocation. */
#ifndef ATS_APP_TEXT_NAV_H
#define ATS_APP_TEXT_NAV_H

#include <stdbool.h>
#include <stddef.h>

/* The first grapheme boundary after pos (len at the end). */
size_t ats_textnav_next_grapheme(const char *text, size_t len, size_t pos);
/* The last grapheme boundary before pos (0 at the start). */
size_t ats_textnav_prev_grapheme(const char *text, size_t len, size_t pos);
/* The largest grapheme boundary <= pos: where a click or a stale offset lands. */
size_t ats_textnav_snap(const char *text, size_t len, size_t pos);

/* Ctrl+Right: past any non-word characters, then to the end of the word. */
size_t ats_textnav_next_word(const char *text, size_t len, size_t pos);
/* Ctrl+Left: back over non-word characters, then to the start of the word. */
size_t ats_textnav_prev_word(const char *text, size_t len, size_t pos);

/* The word around pos (a double click): [start, end) spans the run of word characters, or of
 * spaces, or of other characters, that holds the character at pos (the one before it at the
 * end of the text). */
void ats_textnav_word_bounds(const char *text, size_t len, size_t pos, size_t *start, size_t *end);

/* Start and end of the line holding pos (lines split at '\n'). */
size_t ats_textnav_line_start(const char *text, size_t len, size_t pos);
size_t ats_textnav_line_end(const char *text, size_t len, size_t pos);

/* The byte offset of the first invalid sequence in text, or -1 when it is valid UTF-8 and holds
 * no NUL byte (the editor keeps a C string). */
long ats_textnav_first_invalid(const char *text, size_t len);

#endif
