/* Fonts: the file found through fontconfig (DejaVu Sans by default) or given, opened through
 * SDL2_ttf at each size in use, and a cache of rendered texts.
 *
 * A text is laid out as segments: runs of codepoints the font covers, rendered whole by SDL2_ttf
 * (so kerning and HarfBuzz shaping apply), and one box per codepoint it lacks (or a control
 * character, or invalid UTF-8). Default-ignorable codepoints (zero-width joiners, variation
 * selectors) are left out. The segments are composed into one coverage bitmap with the pen's
 * start column and the baseline row, which the rasterizer places and rotates.
 *
 * Sizes are quantised to quarter pixels: a font opened at "point size" q with 18 dpi has an em
 * of q * 18 / 72 = q / 4 pixels. Hinting is FreeType's light hinting with subpixel positioning,
 * so widths scale nearly linearly and a list laid out at one scale still fits at another.
 */
#include "render_internal.h"

#include <SDL2/SDL_ttf.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

enum {
    N_SIZES = 24,                   /* TTF_Font objects kept open (size, weight) */
    N_BUCKETS = 1024,               /* text cache hash buckets */
    QUARTER_DPI = 18,               /* 72 / 4 */
    CACHE_LIMIT = 24 * 1024 * 1024, /* bytes of cached bitmaps before the cache is emptied */
};

typedef struct sized_font {
    int q; /* em size in quarter pixels */
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

struct ats_font {
    char *path;
    char *bold_path; /* NULL: bold is synthesised from the regular face */
    char family[128];
    sized_font sizes[N_SIZES];
    unsigned long tick;
    cache_entry *buckets[N_BUCKETS];
    size_t cache_bytes;
};

/* ---- finding and opening ------------------------------------------------------------------- */

/* The file fontconfig matches for `pattern` ("DejaVu Sans:bold"), malloc'd, or NULL. */
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

static TTF_Font *open_ttf(const ats_font *font, int q, bool bold) {
    const char *file = bold && font->bold_path ? font->bold_path : font->path;
    TTF_Font *f = TTF_OpenFontDPI(file, q, QUARTER_DPI, QUARTER_DPI);
    if (!f)
        return NULL;
    if (bold && !font->bold_path)
        TTF_SetFontStyle(f, TTF_STYLE_BOLD);
    TTF_SetFontHinting(f, TTF_HINTING_LIGHT_SUBPIXEL);
    TTF_SetFontKerning(f, 1);
    return f;
}

ats_status ats_font_open(const char *path, ats_font **out, ats_error *err) {
    *out = NULL;
    if (TTF_Init() != 0)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "SDL2_ttf failed to start: %s",
                           TTF_GetError());
    ats_font *font = calloc(1, sizeof *font);
    if (!font) {
        TTF_Quit();
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory opening the font");
    }
    if (path) {
        if (access(path, R_OK) != 0) {
            ats_status st =
                ats_fail(err, ATS_ERR_IO, "%s: cannot read the font: %s", path, strerror(errno));
            ats_font_free(font);
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
            ats_font_free(font);
            return ats_fail(err, ATS_ERR_IO,
                               "fontconfig found no font for \"DejaVu Sans\" (install "
                               "fonts-dejavu-core or pass a font file)");
        }
    }
    TTF_Font *probe = font->path ? open_ttf(font, 4 * 12, false) : NULL;
    if (!probe) {
        ats_status s = ats_fail(err, font->path ? ATS_ERR_FORMAT : ATS_ERR_NOMEM,
                                   "%s: not a font SDL2_ttf can open (%s)",
                                   font->path ? font->path : "font", TTF_GetError());
        ats_font_free(font);
        return s;
    }
    const char *family = TTF_FontFaceFamilyName(probe);
    snprintf(font->family, sizeof font->family, "%s", family ? family : "sans-serif");
    font->sizes[0] = (sized_font){4 * 12, false, probe, 0};
    *out = font;
    return ATS_OK;
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

void ats_font_free(ats_font *font) {
    if (!font)
        return;
    cache_clear(font);
    for (int i = 0; i < N_SIZES; i++)
        if (font->sizes[i].ttf)
            TTF_CloseFont(font->sizes[i].ttf);
    free(font->path);
    free(font->bold_path);
    free(font);
    TTF_Quit();
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

/* The TTF_Font at q quarter pixels, opened on first use; the least recently used one is closed
 * when all slots are taken. */
static TTF_Font *sized(ats_font *font, int q, bool bold) {
    font->tick++;
    int victim = 0;
    for (int i = 0; i < N_SIZES; i++) {
        sized_font *s = &font->sizes[i];
        if (s->ttf && s->q == q && s->bold == bold) {
            s->used = font->tick;
            return s->ttf;
        }
        if (!s->ttf || (font->sizes[victim].ttf && s->used < font->sizes[victim].used))
            victim = i;
    }
    TTF_Font *f = open_ttf(font, q, bold);
    if (!f)
        return NULL;
    if (font->sizes[victim].ttf)
        TTF_CloseFont(font->sizes[victim].ttf);
    font->sizes[victim] = (sized_font){q, bold, f, font->tick};
    return f;
}

void ats_font_metrics(ats_font *font, float size, float *ascent, float *descent) {
    int q = quantise(size);
    TTF_Font *f = sized(font, q, false);
    float px = (float)q / 4.0f;
    *ascent = f ? (float)TTF_FontAscent(f) : 0.93f * px;
    *descent = f ? (float)-TTF_FontDescent(f) : 0.24f * px;
}

/* ---- laying out and rendering a text ------------------------------------------------------- */

typedef enum cp_class { CP_GLYPH, CP_BOX, CP_SKIP } cp_class;

static cp_class classify(TTF_Font *f, utf8proc_int32_t cp) {
    if (cp < 0)
        return CP_BOX;
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->category == UTF8PROC_CATEGORY_CC)
        return CP_BOX;
    if (p->ignorable)
        return CP_SKIP;
    return TTF_GlyphIsProvided32(f, (Uint32)cp) ? CP_GLYPH : CP_BOX;
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

/* Scripts that SDL2_ttf must be told about: it shapes left to right with no script unless
 * asked, which reverses and disconnects Arabic and reverses Hebrew. */
typedef enum run_script { SCRIPT_DEFAULT, SCRIPT_ARABIC, SCRIPT_HEBREW } run_script;

static run_script script_of(utf8proc_int32_t cp) {
    if ((cp >= 0x0600 && cp <= 0x08FF) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
        (cp >= 0xFE70 && cp <= 0xFEFF))
        return SCRIPT_ARABIC;
    if ((cp >= 0x0590 && cp <= 0x05FF) || (cp >= 0xFB1D && cp <= 0xFB4F))
        return SCRIPT_HEBREW;
    return SCRIPT_DEFAULT;
}

/* Renders run[0..len) (covered codepoints only) as one surface after the pen; Arabic and Hebrew
 * runs right to left with their script's shaping. Runs follow one another in logical order,
 * which places a right-to-left word inside left-to-right text correctly. */
static void add_run(layout *lo, TTF_Font *f, char *run, size_t len, run_script script) {
    if (len == 0)
        return;
    run[len] = '\0';
    if (script != SCRIPT_DEFAULT) {
        TTF_SetFontDirection(f, TTF_DIRECTION_RTL);
        TTF_SetFontScriptName(f, script == SCRIPT_ARABIC ? "Arab" : "Hebr");
    }
    SDL_Surface *s = TTF_RenderUTF8_Blended(f, run, (SDL_Color){255, 255, 255, 255});
    if (script != SCRIPT_DEFAULT) {
        TTF_SetFontDirection(f, TTF_DIRECTION_LTR);
        TTF_SetFontScriptName(f, "Zzzz"); /* HarfBuzz's "unknown": the default again */
    }
    if (!s)
        return; /* nothing visible (SDL2_ttf refuses zero-width texts) */
    /* SDL2_ttf shifts the line right by the first glyph's negative left bearing, and down by how
     * far the tallest glyph rises above the ascent when the surface is taller than the font. */
    utf8proc_int32_t cp;
    int minx = 0, maxy = 0, tallest = 0;
    utf8proc_iterate((const utf8proc_uint8_t *)run, (utf8proc_ssize_t)len, &cp);
    TTF_GlyphMetrics32(f, (Uint32)cp, &minx, NULL, NULL, NULL, NULL);
    int xstart = minx < 0 && script == SCRIPT_DEFAULT ? -minx : 0, ystart = 0;
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

/* A box the size of a capital letter, for a codepoint the font lacks. */
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

/* Splits the text into runs of covered codepoints of one script (neutral characters such as
 * spaces, digits and punctuation join the run they are in) and boxes. */
static void layout_text(layout *lo, TTF_Font *f, int q, const char *text, size_t len, char *run) {
    size_t run_len = 0;
    run_script script = SCRIPT_DEFAULT;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        size_t step = n > 0 ? (size_t)n : 1;
        cp_class c = classify(f, n > 0 ? cp : -1);
        if (c == CP_GLYPH) {
            run_script s = script_of(cp);
            bool neutral = utf8proc_get_property(cp)->bidi_class != UTF8PROC_BIDI_CLASS_L &&
                           s == SCRIPT_DEFAULT;
            if (!neutral && s != script) {
                add_run(lo, f, run, run_len, script);
                run_len = 0;
                script = s;
            }
            memcpy(run + run_len, text + i, step);
            run_len += step;
        } else if (c == CP_BOX) {
            add_run(lo, f, run, run_len, script);
            run_len = 0;
            add_box(lo, q);
        }
        i += step;
    }
    add_run(lo, f, run, run_len, script);
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

/* Renders a text into a new cache entry (not yet linked). */
static cache_entry *render_entry(ats_font *font, const char *text, size_t len, int q, bool bold,
                                 uint64_t hash) {
    TTF_Font *f = sized(font, q, bold);
    char *run = malloc(len + 1);
    if (!f || !run) {
        free(run);
        return NULL;
    }
    layout lo = {0};
    layout_text(&lo, f, q, text, len, run);
    free(run);
    /* Extent: at least the font's line box, so that every text of one size shares a baseline
     * row. */
    int min_x = 0, max_x = lo.pen, above = TTF_FontAscent(f), below = -TTF_FontDescent(f);
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
    cache_entry *e = render_entry(font, text, len, q, bold, hash);
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
