/* PNG through libpng: encoding a canvas with text chunks into memory, and reading a file back
 * as RGBA8. Text values that are plain ASCII go into tEXt chunks (whose text is Latin-1); any
 * other UTF-8 goes into iTXt, the chunk for UTF-8 text. No tIME chunk is written, so the same
 * pixels and metadata give the same bytes. */
#include "render_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

static void write_to_buf(png_structp png, png_bytep data, png_size_t n) {
    ats_buf_append(png_get_io_ptr(png), data, n);
}

static void flush_nothing(png_structp png) {
    (void)png;
}

static bool is_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Text chunks for the metadata; keys are 1 to 79 Latin-1 characters (ours are ASCII). */
static void set_texts(png_structp png, png_infop info, const ats_meta *meta) {
    png_text texts[ATS_META_MAX];
    int n = 0;
    for (int i = 0; meta && i < meta->n && i < ATS_META_MAX; i++) {
        if (!meta->key[i] || !meta->value[i] || !*meta->key[i] || strlen(meta->key[i]) > 79)
            continue;
        bool ascii = is_ascii(meta->value[i]);
        texts[n] = (png_text){0};
        texts[n].compression = ascii ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
        texts[n].key = (png_charp)meta->key[i];
        texts[n].text = (png_charp)meta->value[i];
        if (ascii)
            texts[n].text_length = strlen(meta->value[i]);
        else
            texts[n].itxt_length = strlen(meta->value[i]);
        texts[n].lang = (png_charp) "";
        texts[n].lang_key = (png_charp) "";
        n++;
    }
    if (n)
        png_set_text(png, info, texts, n);
}

ats_status ats_png_encode(const ats_canvas *c, const ats_meta *meta, uint8_t **out, size_t *len,
                          ats_error *err) {
    *out = NULL;
    *len = 0;
    if (!c || !c->pixels || c->width <= 0 || c->height <= 0)
        return ats_fail(err, ATS_ERR_ARG, "png: empty canvas");
    png_bytep *rows = malloc((size_t)c->height * sizeof *rows);
    png_structp png =
        rows ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    byte_buf buf = {0};
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(rows);
        return ats_fail(err, ATS_ERR_NOMEM, "png: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        ats_buf_free(&buf);
        return ats_fail(err, ATS_ERR_NOMEM, "png: encoding failed");
    }
    png_set_write_fn(png, &buf, write_to_buf, flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)c->width, (png_uint_32)c->height, 8,
                 PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    set_texts(png, info, meta);
    for (int y = 0; y < c->height; y++)
        rows[y] = c->pixels + (size_t)y * c->stride;
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (buf.failed) {
        ats_buf_free(&buf);
        return ats_fail(err, ATS_ERR_NOMEM, "png: out of memory");
    }
    *out = (uint8_t *)buf.data;
    *len = buf.len;
    return ATS_OK;
}

ats_status ats_png_read(const char *path, uint8_t **rgba, int *width, int *height, ats_error *err) {
    *rgba = NULL;
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&image, path))
        return ats_fail(err, ATS_ERR_IO, "%s: cannot read as PNG: %s", path, image.message);
    image.format = PNG_FORMAT_RGBA;
    uint8_t *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!pixels) {
        png_image_free(&image);
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    }
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        free(pixels);
        return ats_fail(err, ATS_ERR_FORMAT, "%s: %s", path, image.message);
    }
    *rgba = pixels;
    *width = (int)image.width;
    *height = (int)image.height;
    return ATS_OK;
}
