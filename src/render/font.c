/* Fonts: the file found through fontconfig (DejaVu Sans by default) or given, opened through
 * SDL2_ttf at each size in use, fallback fonts for what it lacks, and a cache of rendered texts.
 *
 * A text is laid out by the Unicode bidirectional algorithm (ats_bidi_runs): its runs of one
 * direction in visual order; each run is cut into segments of one face and script, rendered whole
 * by SDL2_ttf with HarfBuzz (so kerning, shaping and Arabic joining apply; a right-to-left
 * segment shaped right to left, and the segments of a right-to-left run placed from its right
 * end). A codepoint the main face lacks (CJK, emoji, symbols, most scripts beyond Europe and the
 * Middle East) comes from the first scalable, monochrome face fontconfig sorts for it; one no
 * face has becomes a box, as do control characters and invalid UTF-8. Default-ignorable
 * codepoints (zero-width joiners, variation selectors) are left out. The segments are composed
 * into one coverage bitmap with the pen's start column and the baseline row, which the
 * rasterizer places and rotates.
 *
 * Sizes are quantised to quarter pixels: a font opened at "point size" q with 18 dpi has an em
 * of q * 18 / 72 = q / 4 pixels. Hinting is FreeType's light hinting with subpixel positioning,
 * so widths scale nearly linearly and a list laid out at one scale still fits at another.
 */
#include "render_internal.h"

#include <SDL2/SDL_ttf.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

enum {
    N_SIZES = 32,                   /* TTF_Font objects kept open (face, size, weight) */
    N_BUCKETS = 1024,               /* text cache hash buckets */
    QUARTER_DPI = 18,               /* 72 / 4 */
    CACHE_LIMIT = 24 * 1024 * 1024, /* bytes of cached bitmaps before the cache is emptied */
    N_FALLBACK = 16,                /* fallback faces at most */
    CP_SLOTS = 4096,                /* codepoints whose face is remembered */
};

typedef struct sized_font {
    int face; /* 0 the main face, 1.. fallback face - 1 */
    int q;    /* em size in quarter pixels */
    bool bold;
    TTF_Font *ttf;
    unsigned long used; /* tick of the last use, for eviction */
} sized_font;

typedef struct cache_entry {
    struct cache_entry *next;
    uint64_t hash;
    int q;
    bool bold;
    size_t len;
    text_bitmap bm; /* bm.cov points into this allocation, after the text */
    char text[];
} cache_entry;

/* A face that fontconfig found for codepoints the main face lacks. */
typedef struct fallback {
    char *path;
    int index;          /* the face in a collection (.ttc) */
    FcCharSet *charset; /* what it covers */
} fallback;

/* Which face draws a codepoint, remembered: FACE_NONE when none does. */
enum { FACE_NONE = -1, SLOT_EMPTY = -2 };
typedef struct cp_slot {
    int32_t cp;
    int face;
} cp_slot;

struct ats_font {
    char *path;
    char *bold_path; /* NULL: bold is synthesised from the regular face */
    char family[128];
    TTF_Font *probe; /* the main face, for its coverage */
    fallback fallbacks[N_FALLBACK];
    int n_fallback;
    cp_slot *slots; /* (CP_SLOTS) open addressing by codepoint */
    int n_slots;
    sized_font sizes[N_SIZES];
    unsigned long tick;
    cache_entry *buckets[N_BUCKETS];
    size_t cache_bytes;
};

/* ---- finding and opening ------------------------------------------------------------------- */

/* What fonts of different threads share: SDL2_ttf keeps one FreeType library for the process and
 * counts TTF_Init calls in a plain integer; fontconfig keeps one configuration, set up on first
 * use, that every lookup reads; SDL keeps one list of pixel formats, which every surface made or
 * freed updates. So every call into SDL2_ttf, FreeType, fontconfig and SDL's surfaces happens
 * under this one lock: opening and freeing a font, its metrics, and rendering a text the cache
 * does not hold (finding fallback faces included). A text found in the cache needs no lock: each
 * ats_font serves one thread at a time. (The libraries' own locks are not all visible to
 * ThreadSanitizer; this one is.) */
static pthread_mutex_t font_lock = PTHREAD_MUTEX_INITIALIZER;

/* The file fontconfig matches for `pattern` ("DejaVu Sans:bold"), malloc'd, or NULL (called
 * with font_lock held). */
static char *fontconfig_find(const char *pattern) {
    FcPattern *pat = FcNameParse((const FcChar8 *)pattern);
    if (!pat)
        return NULL;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult result;
    FcPattern *match = FcFontMatch(NULL, pat, &result);
    char *path = NULL;
    FcChar8 *file;
    if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch)
        path = strdup((const char *)file);
    if (match)
        FcPatternDestroy(match);
    FcPatternDestroy(pat);
    return path;
}

/* Face `face` (0 the main one) at q quarter pixels; bold from the bold file, else synthesised. */
static TTF_Font *open_ttf(const ats_font *font, int face, int q, bool bold) {
    const char *file = face > 0                  ? font->fallbacks[face - 1].path
                       : bold && font->bold_path ? font->bold_path
                                                 : font->path;
    long index = face > 0 ? font->fallbacks[face - 1].index : 0;
    TTF_Font *f = TTF_OpenFontIndexDPI(file, q, index, QUARTER_DPI, QUARTER_DPI);
    if (!f)
        return NULL;
    if (bold && (face > 0 || !font->bold_path))
        TTF_SetFontStyle(f, TTF_STYLE_BOLD);
    TTF_SetFontHinting(f, TTF_HINTING_LIGHT_SUBPIXEL);
    TTF_SetFontKerning(f, 1);
    return f;
}

static void cache_clear(ats_font *font) {
    for (int b = 0; b < N_BUCKETS; b++) {
        cache_entry *e = font->buckets[b];
        while (e) {
            cache_entry *next = e->next;
            free(e);
            e = next;
        }
        font->buckets[b] = NULL;
    }
    font->cache_bytes = 0;
}

/* Closes and frees everything of `font` (NULL-safe) but leaves SDL2_ttf started (called with
 * font_lock held). */
static void font_free_locked(ats_font *font) {
    if (!font)
        return;
    cache_clear(font);
    for (int i = 0; i < N_SIZES; i++)
        if (font->sizes[i].ttf)
            TTF_CloseFont(font->sizes[i].ttf);
    if (font->probe)
        TTF_CloseFont(font->probe);
    for (int i = 0; i < font->n_fallback; i++) {
        free(font->fallbacks[i].path);
        FcCharSetDestroy(font->fallbacks[i].charset);
    }
    free(font->slots);
    free(font->path);
    free(font->bold_path);
    free(font);
}

/* ats_font_open with font_lock held and SDL2_ttf started; on failure frees what it made. */
static ats_status font_open_locked(const char *path, ats_font **out, ats_error *err) {
    ats_font *font = calloc(1, sizeof *font);
    if (font)
        font->slots = malloc(CP_SLOTS * sizeof *font->slots);
    if (!font || !font->slots) {
        font_free_locked(font);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory opening the font");
    }
    for (int i = 0; i < CP_SLOTS; i++)
        font->slots[i] = (cp_slot){0, SLOT_EMPTY};
    if (path) {
        if (access(path, R_OK) != 0) {
            ats_status st =
                ats_fail(err, ATS_ERR_IO, "%s: cannot read the font: %s", path, strerror(errno));
            font_free_locked(font);
            return st;
        }
        font->path = strdup(path);
    } else {
        font->path = fontconfig_find("DejaVu Sans:style=Book");
        font->bold_path = fontconfig_find("DejaVu Sans:bold");
        if (font->bold_path && font->path && strcmp(font->bold_path, font->path) == 0) {
            free(font->bold_path);
            font->bold_path = NULL;
        }
        if (!font->path) {
            font_free_locked(font);
            return ats_fail(err, ATS_ERR_IO,
                            "fontconfig found no font for \"DejaVu Sans\" (install "
                            "fonts-dejavu-core or pass a font file)");
        }
    }
    font->probe = font->path ? open_ttf(font, 0, 4 * 12, false) : NULL;
    if (!font->probe) {
        ats_status s = ats_fail(err, font->path ? ATS_ERR_FORMAT : ATS_ERR_NOMEM,
                                "%s: not a font SDL2_ttf can open (%s)",
                                font->path ? font->path : "font", TTF_GetError());
        font_free_locked(font);
        return s;
    }
    const char *family = TTF_FontFaceFamilyName(font->probe);
    snprintf(font->family, sizeof font->family, "%s", family ? family : "sans-serif");
    *out = font;
    return ATS_OK;
}

ats_status ats_font_open(const char *path, ats_font **out, ats_error *err) {
    *out = NULL;
    pthread_mutex_lock(&font_lock);
    ats_status s;
    if (TTF_Init() != 0) {
        s = ats_fail(err, ATS_ERR_UNSUPPORTED, "SDL2_ttf failed to start: %s", TTF_GetError());
    } else {
        s = font_open_locked(path, out, err);
        if (s != ATS_OK)
            TTF_Quit();
    }
    pthread_mutex_unlock(&font_lock);
    return s;
}

void ats_font_free(ats_font *font) {
    if (!font)
        return;
    pthread_mutex_lock(&font_lock);
    font_free_locked(font);
    TTF_Quit();
    pthread_mutex_unlock(&font_lock);
}

const char *ats_font_path(const ats_font *font) {
    return font->path;
}

const char *ats_font_family(const ats_font *font) {
    return font->family;
}

static int quantise(float px) {
    float q = roundf(px * 4.0f);
    return q < 4 ? 4 : q > 4 * 1024 ? 4 * 1024 : (int)q;
}

/* The TTF_Font of `face` at q quarter pixels, opened on first use; the least recently used one
 * is closed when all slots are taken. */
static TTF_Font *sized(ats_font *font, int face, int q, bool bold) {
    font->tick++;
    int victim = 0;
    for (int i = 0; i < N_SIZES; i++) {
        sized_font *s = &font->sizes[i];
        if (s->ttf && s->face == face && s->q == q && s->bold == bold) {
            s->used = font->tick;
            return s->ttf;
        }
        if (!s->ttf || (font->sizes[victim].ttf && s->used < font->sizes[victim].used))
            victim = i;
    }
    TTF_Font *f = open_ttf(font, face, q, bold);
    if (!f)
        return NULL;
    if (font->sizes[victim].ttf)
        TTF_CloseFont(font->sizes[victim].ttf);
    font->sizes[victim] = (sized_font){face, q, bold, f, font->tick};
    return f;
}

void ats_font_metrics(ats_font *font, float size, float *ascent, float *descent) {
    int q = quantise(size);
    float px = (float)q / 4.0f;
    pthread_mutex_lock(&font_lock);
    TTF_Font *f = sized(font, 0, q, false);
    *ascent = f ? (float)TTF_FontAscent(f) : 0.93f * px;
    *descent = f ? (float)-TTF_FontDescent(f) : 0.24f * px;
    pthread_mutex_unlock(&font_lock);
}

/* ---- which face draws a codepoint ------------------------------------------------------------ */

/* A face fontconfig sorts first for `cp` among the scalable, monochrome ones that have it (a
 * colour emoji face holds bitmaps the coverage bitmaps here cannot carry), added to the
 * fallbacks; FACE_NONE when there is none or no room. */
static int find_fallback(ats_font *font, int32_t cp) {
    FcPattern *pat = FcPatternCreate();
    FcCharSet *want = FcCharSetCreate();
    int face = FACE_NONE;
    if (!pat || !want || !FcCharSetAddChar(want, (FcChar32)cp)) {
        if (pat)
            FcPatternDestroy(pat);
        if (want)
            FcCharSetDestroy(want);
        return FACE_NONE;
    }
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)"sans-serif");
    FcPatternAddCharSet(pat, FC_CHARSET, want);
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult result;
    FcFontSet *set = FcFontSort(NULL, pat, FcFalse, NULL, &result);
    for (int i = 0; set && i < set->nfont && face == FACE_NONE; i++) {
        FcPattern *f = set->fonts[i];
        FcCharSet *cs;
        FcChar8 *file;
        FcBool scalable = FcTrue, color = FcFalse;
        int index = 0;
        FcPatternGetBool(f, FC_SCALABLE, 0, &scalable);
        FcPatternGetBool(f, FC_COLOR, 0, &color);
        FcPatternGetInteger(f, FC_INDEX, 0, &index);
        if (!scalable || color || FcPatternGetCharSet(f, FC_CHARSET, 0, &cs) != FcResultMatch ||
            !FcCharSetHasChar(cs, (FcChar32)cp) ||
            FcPatternGetString(f, FC_FILE, 0, &file) != FcResultMatch)
            continue;
        if (font->n_fallback >= N_FALLBACK)
            break;
        fallback *fb = &font->fallbacks[font->n_fallback];
        *fb = (fallback){strdup((const char *)file), index, FcCharSetCopy(cs)};
        if (!fb->path) {
            FcCharSetDestroy(fb->charset);
            break;
        }
        face = ++font->n_fallback;
    }
    if (set)
        FcFontSetDestroy(set);
    FcPatternDestroy(pat);
    FcCharSetDestroy(want);
    return face;
}

/* The face for a codepoint the main face lacks: a fallback found before that has it, else a new
 * one; remembered in the slots (emptied when they fill up). */
static int fallback_face(ats_font *font, int32_t cp) {
    uint32_t h = ((uint32_t)cp * 2654435761u) % CP_SLOTS;
    for (int probe = 0; probe < CP_SLOTS; probe++) {
        cp_slot *s = &font->slots[(h + (uint32_t)probe) % CP_SLOTS];
        if (s->face == SLOT_EMPTY)
            break;
        if (s->cp == cp)
            return s->face;
    }
    int face = FACE_NONE;
    for (int i = 0; i < font->n_fallback && face == FACE_NONE; i++)
        if (FcCharSetHasChar(font->fallbacks[i].charset, (FcChar32)cp))
            face = i + 1;
    if (face == FACE_NONE)
        face = find_fallback(font, cp);
    if (font->n_slots >= CP_SLOTS / 2) { /* keep probes short */
        for (int i = 0; i < CP_SLOTS; i++)
            font->slots[i] = (cp_slot){0, SLOT_EMPTY};
        font->n_slots = 0;
    }
    for (int probe = 0;; probe++) {
        cp_slot *s = &font->slots[(h + (uint32_t)probe) % CP_SLOTS];
        if (s->face == SLOT_EMPTY) {
            *s = (cp_slot){cp, face};
            font->n_slots++;
            return face;
        }
    }
}

/* ---- laying out and rendering a text ------------------------------------------------------- */

enum { CP_BOX = -1, CP_SKIP = -2 }; /* else the face index */

static int classify(ats_font *font, utf8proc_int32_t cp) {
    if (cp < 0)
        return CP_BOX;
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->category == UTF8PROC_CATEGORY_CC)
        return CP_BOX;
    if (p->ignorable)
        return CP_SKIP;
    if (TTF_GlyphIsProvided32(font->probe, (Uint32)cp))
        return 0;
    int face = fallback_face(font, cp);
    return face == FACE_NONE ? CP_BOX : face;
}

/* One segment: a rendered run (surface) or a missing-glyph box, placed relative to the pen's
 * start (x) and the baseline (top = rows above the baseline). */
typedef struct segment {
    SDL_Surface *surface; /* NULL for a box */
    int x, top, w, h;
} segment;

typedef struct layout {
    segment *segs;
    int n, cap;
    int pen;
    bool failed;
} layout;

static segment *add_segment(layout *lo) {
    if (lo->n == lo->cap) {
        int cap = lo->cap ? 2 * lo->cap : 8;
        segment *s = realloc(lo->segs, (size_t)cap * sizeof *s);
        if (!s) {
            lo->failed = true;
            return NULL;
        }
        lo->segs = s;
        lo->cap = cap;
    }
    return &lo->segs[lo->n++];
}

/* The script HarfBuzz shapes a segment as, by its first letter (ISO 15924): SDL2_ttf shapes with
 * no script unless told, which disconnects Arabic and breaks the clusters of Indic scripts. NULL
 * for scripts shaped well without (Latin, Greek, Cyrillic, CJK). */
static const char *script_of(utf8proc_int32_t cp) {
    static const struct {
        int32_t lo, hi;
        const char *tag;
    } RANGES[] = {
        {0x0590, 0x05FF, "Hebr"}, {0x0600, 0x06FF, "Arab"}, {0x0700, 0x074F, "Syrc"},
        {0x0750, 0x077F, "Arab"}, {0x0780, 0x07BF, "Thaa"}, {0x08A0, 0x08FF, "Arab"},
        {0x0900, 0x097F, "Deva"}, {0x0980, 0x09FF, "Beng"}, {0x0A00, 0x0A7F, "Guru"},
        {0x0A80, 0x0AFF, "Gujr"}, {0x0B00, 0x0B7F, "Orya"}, {0x0B80, 0x0BFF, "Taml"},
        {0x0C00, 0x0C7F, "Telu"}, {0x0C80, 0x0CFF, "Knda"}, {0x0D00, 0x0D7F, "Mlym"},
        {0x0D80, 0x0DFF, "Sinh"}, {0x0E00, 0x0E7F, "Thai"}, {0x0E80, 0x0EFF, "Laoo"},
        {0x0F00, 0x0FFF, "Tibt"}, {0x1000, 0x109F, "Mymr"}, {0x1780, 0x17FF, "Khmr"},
        {0xFB1D, 0xFB4F, "Hebr"}, {0xFB50, 0xFDFF, "Arab"}, {0xFE70, 0xFEFF, "Arab"},
    };
    for (size_t i = 0; i < sizeof RANGES / sizeof RANGES[0]; i++)
        if (cp >= RANGES[i].lo && cp <= RANGES[i].hi)
            return RANGES[i].tag;
    return NULL;
}

/* Renders run[0..len) (codepoints of one face) as one surface after the pen, shaped right to left
 * for a right-to-left run, with its script when it needs one. */
static void add_run(layout *lo, TTF_Font *f, char *run, size_t len, bool rtl, const char *script) {
    if (len == 0)
        return;
    run[len] = '\0';
    if (rtl)
        TTF_SetFontDirection(f, TTF_DIRECTION_RTL);
    if (script)
        TTF_SetFontScriptName(f, script);
    SDL_Surface *s = TTF_RenderUTF8_Blended(f, run, (SDL_Color){255, 255, 255, 255});
    if (rtl)
        TTF_SetFontDirection(f, TTF_DIRECTION_LTR);
    if (script)
        TTF_SetFontScriptName(f, "Zzzz"); /* HarfBuzz's "unknown": the default again */
    if (!s)
        return; /* nothing visible (SDL2_ttf refuses zero-width texts) */
    /* SDL2_ttf shifts the line right by the first glyph's negative left bearing, and down by how
     * far the tallest glyph rises above the ascent when the surface is taller than the font. */
    utf8proc_int32_t cp;
    int minx = 0, maxy = 0, tallest = 0;
    utf8proc_iterate((const utf8proc_uint8_t *)run, (utf8proc_ssize_t)len, &cp);
    TTF_GlyphMetrics32(f, (Uint32)cp, &minx, NULL, NULL, NULL, NULL);
    int xstart = minx < 0 && !rtl ? -minx : 0, ystart = 0;
    if (s->h > TTF_FontHeight(f)) {
        for (size_t i = 0; i < len;) {
            utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)run + i,
                                                  (utf8proc_ssize_t)(len - i), &cp);
            if (TTF_GlyphMetrics32(f, (Uint32)cp, NULL, NULL, NULL, &maxy, NULL) == 0 &&
                maxy > tallest)
                tallest = maxy;
            i += n > 0 ? (size_t)n : 1;
        }
        ystart = tallest > TTF_FontAscent(f) ? tallest - TTF_FontAscent(f) : 0;
    }
    segment *seg = add_segment(lo);
    if (!seg) {
        SDL_FreeSurface(s);
        return;
    }
    *seg = (segment){s, lo->pen - xstart, ystart + TTF_FontAscent(f), s->w, s->h};
    lo->pen += s->w - xstart;
}

/* A box the size of a capital letter, for a codepoint no face has. */
static void add_box(layout *lo, int q) {
    float px = (float)q / 4.0f;
    segment *seg = add_segment(lo);
    if (!seg)
        return;
    int advance = (int)lroundf(px * 0.62f);
    int inset = (int)lroundf(px * 0.08f);
    int height = (int)lroundf(px * 0.72f);
    *seg = (segment){NULL, lo->pen + inset, height,
                     advance < 2 * inset + 3 ? 3 : advance - 2 * inset, height < 3 ? 3 : height};
    lo->pen += advance < 3 ? 3 : advance;
}

/* A piece of one direction run: bytes [start, end) drawn by one face (or boxes). */
typedef struct piece {
    size_t start, end;
    int face; /* or CP_BOX: one box per codepoint */
    const char *script;
} piece;

/* Cuts text[a, b) into pieces of one face, and of one script where the script matters (neutral
 * characters such as spaces, digits and punctuation join the piece they are in). Returns the
 * count; `out` has room for b - a pieces. */
static int cut_pieces(ats_font *font, const char *text, size_t a, size_t b, piece *out) {
    int n = 0;
    for (size_t i = a; i < b;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(b - i), &cp);
        size_t step = k > 0 ? (size_t)k : 1;
        int face = classify(font, k > 0 ? cp : -1);
        if (face == CP_SKIP) {
            i += step;
            continue;
        }
        const char *script = face >= 0 ? script_of(cp) : NULL;
        bool neutral =
            face >= 0 && !script && utf8proc_get_property(cp)->bidi_class != UTF8PROC_BIDI_CLASS_L;
        piece *last = n > 0 ? &out[n - 1] : NULL;
        if (last && last->end == i && last->face == face && face != CP_BOX &&
            (neutral || !script || !last->script || strcmp(script, last->script) == 0)) {
            last->end = i + step;
            if (!last->script)
                last->script = script;
        } else {
            out[n++] = (piece){i, i + step, face, script};
        }
        i += step;
    }
    return n;
}

/* Lays out the text: its direction runs in visual order, each cut into pieces that are rendered
 * (or boxed) one after another; the pieces of a right-to-left run go from its right end. */
static void layout_text(layout *lo, ats_font *font, int q, bool bold, const char *text, size_t len,
                        char *run) {
    ats_bidi_run *runs = malloc((len > 0 ? len : 1) * sizeof *runs);
    piece *pieces = malloc((len > 0 ? len : 1) * sizeof *pieces);
    if (!runs || !pieces) {
        free(runs);
        free(pieces);
        lo->failed = true;
        return;
    }
    int n_runs = ats_bidi_runs(text, len, false, runs, (int)len);
    for (int r = 0; r < n_runs; r++) {
        int n = cut_pieces(font, text, runs[r].start, runs[r].end, pieces);
        for (int j = 0; j < n; j++) {
            const piece *pc = &pieces[runs[r].rtl ? n - 1 - j : j];
            if (pc->face == CP_BOX) {
                for (size_t i = pc->start; i < pc->end;) {
                    utf8proc_int32_t cp;
                    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                          (utf8proc_ssize_t)(pc->end - i), &cp);
                    add_box(lo, q);
                    i += k > 0 ? (size_t)k : 1;
                }
                continue;
            }
            TTF_Font *f = sized(font, pc->face, q, bold);
            if (!f) {
                add_box(lo, q);
                continue;
            }
            memcpy(run, text + pc->start, pc->end - pc->start);
            add_run(lo, f, run, pc->end - pc->start, runs[r].rtl, pc->script);
        }
    }
    free(runs);
    free(pieces);
}

/* Coverage of one segment into the bitmap at column x0, row y0 (max with what is there). */
static void blit_segment(const segment *s, uint8_t *cov, int stride, int x0, int y0, int q) {
    if (!s->surface) { /* box outline, stroke ~ px / 13 */
        int t = (int)lroundf((float)q / 4.0f / 13.0f);
        t = t < 1 ? 1 : t;
        for (int r = 0; r < s->h; r++)
            for (int c = 0; c < s->w; c++)
                if (r < t || r >= s->h - t || c < t || c >= s->w - t)
                    cov[(size_t)(y0 + r) * stride + x0 + c] = 255;
        return;
    }
    SDL_Surface *sf = s->surface;
    SDL_LockSurface(sf);
    for (int r = 0; r < sf->h; r++) {
        const Uint32 *row = (const Uint32 *)((const Uint8 *)sf->pixels + (size_t)r * sf->pitch);
        uint8_t *dst = cov + (size_t)(y0 + r) * stride + x0;
        for (int c = 0; c < sf->w; c++) {
            uint8_t a = (uint8_t)(row[c] >> 24); /* ARGB8888: coverage is the alpha */
            if (a > dst[c])
                dst[c] = a;
        }
    }
    SDL_UnlockSurface(sf);
}

static uint64_t hash_text(const char *text, size_t len, int q, bool bold) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
    h = (h ^ (uint64_t)q) * 1099511628211ull;
    return (h ^ (uint64_t)bold) * 1099511628211ull;
}

/* Renders a text into a new cache entry (not yet linked), with font_lock held. */
static cache_entry *render_entry(ats_font *font, const char *text, size_t len, int q, bool bold,
                                 uint64_t hash) {
    TTF_Font *f = sized(font, 0, q, bold);
    char *run = malloc(len + 1);
    if (!f || !run) {
        free(run);
        return NULL;
    }
    /* Extent: at least the main face's line box, so that every text of one size shares a
     * baseline row. */
    int above = TTF_FontAscent(f), below = -TTF_FontDescent(f);
    layout lo = {0};
    layout_text(&lo, font, q, bold, text, len, run);
    free(run);
    int min_x = 0, max_x = lo.pen;
    for (int i = 0; i < lo.n; i++) {
        const segment *s = &lo.segs[i];
        min_x = s->x < min_x ? s->x : min_x;
        max_x = s->x + s->w > max_x ? s->x + s->w : max_x;
        above = s->top > above ? s->top : above;
        below = s->h - s->top > below ? s->h - s->top : below;
    }
    int w = max_x - min_x, h = above + below;
    cache_entry *e = lo.failed ? NULL : calloc(1, sizeof *e + len + 1 + (size_t)w * (size_t)h);
    if (e) {
        e->hash = hash;
        e->q = q;
        e->bold = bold;
        e->len = len;
        memcpy(e->text, text, len);
        uint8_t *cov = (uint8_t *)e->text + len + 1;
        for (int i = 0; i < lo.n; i++)
            blit_segment(&lo.segs[i], cov, w, lo.segs[i].x - min_x, above - lo.segs[i].top, q);
        e->bm = (text_bitmap){w, h, -min_x, above, (float)lo.pen, w && h ? cov : NULL};
    }
    for (int i = 0; i < lo.n; i++)
        SDL_FreeSurface(lo.segs[i].surface);
    free(lo.segs);
    return e;
}

bool ats_font_text_bitmap(ats_font *font, const char *text, size_t len, float px, bool bold,
                          text_bitmap *out) {
    int q = quantise(px);
    uint64_t hash = hash_text(text, len, q, bold);
    cache_entry **bucket = &font->buckets[hash % N_BUCKETS];
    for (cache_entry *e = *bucket; e; e = e->next)
        if (e->hash == hash && e->q == q && e->bold == bold && e->len == len &&
            memcmp(e->text, text, len) == 0) {
            *out = e->bm;
            return true;
        }
    pthread_mutex_lock(&font_lock);
    cache_entry *e = render_entry(font, text, len, q, bold, hash);
    pthread_mutex_unlock(&font_lock);
    if (!e)
        return false;
    size_t bytes = sizeof *e + len + (size_t)e->bm.w * (size_t)e->bm.h;
    if (font->cache_bytes + bytes > CACHE_LIMIT) {
        cache_clear(font);
        bucket = &font->buckets[hash % N_BUCKETS];
    }
    e->next = *bucket;
    *bucket = e;
    font->cache_bytes += bytes;
    *out = e->bm;
    return true;
}

float ats_font_measure(ats_font *font, const char *utf8, float size, bool bold) {
    text_bitmap bm;
    if (!utf8 || !*utf8 || !ats_font_text_bitmap(font, utf8, strlen(utf8), size, bold, &bm))
        return 0;
    return bm.advance; /* at the quantised size: exactly what a scale-1 drawing occupies */
}
