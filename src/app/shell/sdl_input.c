#include "sdl_input.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

ats_key ats_sdl_key(SDL_Keycode key) {
    switch (key) {
    case SDLK_LEFT:
        return ATS_KEY_LEFT;
    case SDLK_RIGHT:
        return ATS_KEY_RIGHT;
    case SDLK_UP:
        return ATS_KEY_UP;
    case SDLK_DOWN:
        return ATS_KEY_DOWN;
    case SDLK_HOME:
        return ATS_KEY_HOME;
    case SDLK_END:
        return ATS_KEY_END;
    case SDLK_BACKSPACE:
        return ATS_KEY_BACKSPACE;
    case SDLK_DELETE:
        return ATS_KEY_DELETE;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        return ATS_KEY_RETURN;
    case SDLK_ESCAPE:
        return ATS_KEY_ESCAPE;
    case SDLK_TAB:
        return ATS_KEY_TAB;
    case SDLK_SPACE:
        return ATS_KEY_SPACE;
    case SDLK_F1:
        return ATS_KEY_F1;
    case SDLK_F5:
        return ATS_KEY_F5;
    case SDLK_PAGEUP:
        return ATS_KEY_PAGE_UP;
    case SDLK_PAGEDOWN:
        return ATS_KEY_PAGE_DOWN;
    case SDLK_F9:
        return ATS_KEY_F9;
    case SDLK_F11:
        return ATS_KEY_F11;
    case SDLK_PLUS:
    case SDLK_EQUALS: /* '+' is Shift+'=' on US layouts; Ctrl+= zooms in browsers too */
    case SDLK_KP_PLUS:
        return ATS_KEY_PLUS;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        return ATS_KEY_MINUS;
    case SDLK_0:
    case SDLK_KP_0:
        return ATS_KEY_0;
    case SDLK_g:
        return ATS_KEY_G;
    case SDLK_b:
        return ATS_KEY_B;
    case SDLK_d:
        return ATS_KEY_D;
    case SDLK_m:
        return ATS_KEY_M;
    case SDLK_n:
        return ATS_KEY_N;
    case SDLK_r:
        return ATS_KEY_R;
    case SDLK_w:
        return ATS_KEY_W;
    case SDLK_k:
        return ATS_KEY_K;
    case SDLK_o:
        return ATS_KEY_O;
    case SDLK_t:
        return ATS_KEY_T;
    case SDLK_a:
        return ATS_KEY_A;
    case SDLK_c:
        return ATS_KEY_C;
    case SDLK_e:
        return ATS_KEY_E;
    case SDLK_h:
        return ATS_KEY_H;
    case SDLK_q:
        return ATS_KEY_Q;
    case SDLK_s:
        return ATS_KEY_S;
    case SDLK_v:
        return ATS_KEY_V;
    case SDLK_x:
        return ATS_KEY_X;
    case SDLK_y:
        return ATS_KEY_Y;
    case SDLK_z:
        return ATS_KEY_Z;
    default:
        return ATS_KEY_NONE;
    }
}

unsigned ats_sdl_mods(Uint16 mod) {
    unsigned m = 0;
    if (mod & KMOD_SHIFT)
        m |= ATS_MOD_SHIFT;
    if (mod & KMOD_CTRL)
        m |= ATS_MOD_CTRL;
#ifdef __APPLE__
    if (mod & KMOD_GUI) /* Cmd plays Ctrl's part */
        m |= ATS_MOD_CTRL;
#endif
    if (mod & KMOD_ALT)
        m |= ATS_MOD_ALT;
    return m;
}

double ats_sdl_event_ms(Uint32 timestamp) {
    Uint32 age = SDL_GetTicks() - timestamp; /* unsigned: right across the 49-day wrap */
    return ats_clock_ms() - (age < 60000 ? (double)age : 0.0);
}

static char *clipboard_get(void *user) {
    (void)user;
    if (!SDL_HasClipboardText())
        return NULL;
    char *sdl_text = SDL_GetClipboardText();
    if (!sdl_text)
        return NULL;
    char *text = sdl_text[0] ? strdup(sdl_text) : NULL;
    SDL_free(sdl_text);
    return text;
}

static bool clipboard_set(void *user, const char *text, size_t len) {
    (void)user;
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    bool ok = SDL_SetClipboardText(copy) == 0;
    free(copy);
    return ok;
}

ats_clipboard ats_sdl_clipboard(void) {
    return (ats_clipboard){.user = NULL, .get_text = clipboard_get, .set_text = clipboard_set};
}
