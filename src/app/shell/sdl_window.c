/* The SDL2 shell: one resizable HiDPI-aware window, events translated into app calls, and the
 * app's canvas shown as a streaming texture (the only drawing SDL does is presenting it). It
 * draws at the display's rate (vsync) while anything changes and sleeps on the event queue when
 * nothing does; the worker wakes it with a user event when a result is ready.
 *
 * Test hook: with ATS_TEST_DROP_FILE=PATH in the environment the shell reads PATH every tenth of
 * a second and turns each new line into an SDL_DROPFILE event (a line "shift:P" as if Shift
 * were held), which then takes exactly the path a dropped file takes. X11 drag and drop itself
 * cannot be driven by xdotool; this is how the gui test drops a model folder and a broken file. */
#include "window.h"

#include "app.h"
#include "base.h"
#include "draw.h"
#include "frame.h"
#include "sdl_input.h"

#include <SDL.h>
#include <SDL_syswm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(ATS_HAVE_X11) && defined(SDL_VIDEO_DRIVER_X11)
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#endif

#define INITIAL_W    1280
#define INITIAL_H    800
#define MIN_W        480
#define MIN_H        320
#define IDLE_WAIT_MS 100 /* banner expiry and the typing pause need an update now and then */
/* A keystroke's frame waits this long at most for its run, so a fast model shows the new text
 * and its attention in the same frame; a slow model shows the text at once and the result later. */
#define SAME_FRAME_BUDGET_MS 4.0

typedef struct shell {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    int texture_w, texture_h;
    ats_frame frame;
    ats_app *app;
    Uint32 wake_event;
    double frame_interval_ms; /* the display's refresh period */
    double last_present_ms;
    bool force_frame; /* exposed or resized: present even if the app saw no change */
    bool fullscreen;  /* as applied to the window */
    /* full screen without a window manager (an X server alone, Xvfb, a kiosk): SDL asks the
     * window manager, and nobody answers; the window is then made borderless and as large as
     * its display, and put back when full screen ends */
    bool manual_fullscreen; /* the fallback is in effect */
    SDL_Rect windowed;      /* the window before it */
    bool canvas_failed;
    bool button_down;
    float pointer_x, pointer_y; /* device pixels */
    char title_model[256];
    char last_banner[1024];
    /* ATS_TEST_DROP_FILE */
    const char *drop_file;
    long drop_read; /* bytes of it already turned into events */
    double drop_checked_ms;
    bool drop_shift; /* the event being handled came from a "shift:" line */
    SDL_Cursor *cursors[4];
    int cursor; /* index into cursors of the one shown */
} shell;

static void wake(void *user) {
    shell *sh = user;
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = sh->wake_event;
    SDL_PushEvent(&ev); /* thread-safe; a full queue just means the next poll finds the result */
}

static bool nonempty_env(const char *name) {
    const char *v = getenv(name);
    return v && *v;
}

/* False (with the reason) when there is nowhere to open a window. */
static bool open_video(char *why, size_t size) {
    if (!nonempty_env("SDL_VIDEODRIVER") && !nonempty_env("DISPLAY") &&
        !nonempty_env("WAYLAND_DISPLAY")) {
        snprintf(why, size, "DISPLAY and WAYLAND_DISPLAY are unset");
        return false;
    }
    SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
#ifdef SDL_HINT_IME_SHOW_UI
    SDL_SetHint(SDL_HINT_IME_SHOW_UI, "1");
#endif
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(why, size, "SDL: %s", SDL_GetError());
        return false;
    }
    return true;
}

static bool create_window(shell *sh, char *why, size_t size) {
    sh->window =
        SDL_CreateWindow("attnscope", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, INITIAL_W,
                         INITIAL_H, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!sh->window) {
        snprintf(why, size, "SDL: %s", SDL_GetError());
        return false;
    }
    SDL_SetWindowMinimumSize(sh->window, MIN_W, MIN_H);
    sh->renderer = SDL_CreateRenderer(sh->window, -1, SDL_RENDERER_PRESENTVSYNC);
    if (!sh->renderer) /* no accelerated renderer with vsync: the software one always works */
        sh->renderer = SDL_CreateRenderer(sh->window, -1, SDL_RENDERER_SOFTWARE);
    if (!sh->renderer) {
        snprintf(why, size, "SDL: %s", SDL_GetError());
        return false;
    }
    SDL_DisplayMode mode;
    int hz = SDL_GetWindowDisplayMode(sh->window, &mode) == 0 ? mode.refresh_rate : 0;
    sh->frame_interval_ms = 1000.0 / (hz > 0 ? hz : 60);
    return true;
}

/* Matches the frame and the texture to the renderer's output size (device pixels). */
static bool fit_canvas(shell *sh) {
    int w, h, ww, wh;
    if (SDL_GetRendererOutputSize(sh->renderer, &w, &h) != 0 || w < 1 || h < 1)
        return false;
    SDL_GetWindowSize(sh->window, &ww, &wh);
    sh->frame.scale = ww > 0 ? (float)w / (float)ww : 1.0f;
    ats_app_set_device_scale(sh->app, sh->frame.scale);
    if (!ats_frame_resize(&sh->frame, w, h))
        return false;
    if (sh->texture && sh->texture_w == w && sh->texture_h == h)
        return true;
    if (sh->texture)
        SDL_DestroyTexture(sh->texture);
    sh->texture =
        SDL_CreateTexture(sh->renderer, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, w, h);
    sh->texture_w = w;
    sh->texture_h = h;
    return sh->texture != NULL;
}

static void present(shell *sh) {
    double t0 = ats_clock_ms();
    if (!fit_canvas(sh)) {
        /* no canvas (out of memory, texture too large): say so once, and do not spin */
        if (!sh->canvas_failed)
            fprintf(stderr, "attnscope: cannot make a %dx%d canvas: %s\n", sh->frame.width,
                    sh->frame.height, SDL_GetError());
        sh->canvas_failed = true;
        SDL_Delay((Uint32)sh->frame_interval_ms);
        return;
    }
    sh->canvas_failed = false;
    ats_app_draw(sh->app, &sh->frame);
    SDL_UpdateTexture(sh->texture, NULL, sh->frame.rgba, sh->frame.stride);
    double drawn = ats_clock_ms();
    SDL_RenderClear(sh->renderer);
    SDL_RenderCopy(sh->renderer, sh->texture, NULL, NULL);
    SDL_RenderPresent(sh->renderer); /* waits for the vertical blank when vsync works */
    double shown = ats_clock_ms();
    ats_app_frame_presented(sh->app, shown, drawn - t0);
    sh->force_frame = false;
    if (sh->frame.caret_w > 0) { /* where an input method puts its candidate window */
        float s = sh->frame.scale > 0 ? sh->frame.scale : 1.0f;
        SDL_Rect r = {(int)(sh->frame.caret_x / s), (int)(sh->frame.caret_y / s),
                      (int)(sh->frame.caret_w / s), (int)(sh->frame.caret_h / s)};
        SDL_SetTextInputRect(&r);
    }
    /* without working vsync (a virtual display), do not present faster than the display */
    double spare = sh->frame_interval_ms - (shown - sh->last_present_ms);
    if (spare > 1.0)
        SDL_Delay((Uint32)spare);
    sh->last_present_ms = ats_clock_ms();
}

/* The bounds of the display the window is on. */
static bool display_bounds(shell *sh, SDL_Rect *r) {
    int d = SDL_GetWindowDisplayIndex(sh->window);
    return SDL_GetDisplayBounds(d >= 0 ? d : 0, r) == 0;
}

/* Whether a window manager would act on a full-screen request: on X11, one that announces
 * itself on the root window (_NET_SUPPORTING_WM_CHECK, as every EWMH window manager does);
 * elsewhere SDL is trusted. */
static bool window_manager(shell *sh) {
#if defined(ATS_HAVE_X11) && defined(SDL_VIDEO_DRIVER_X11)
    SDL_SysWMinfo info;
    SDL_VERSION(&info.version);
    if (!SDL_GetWindowWMInfo(sh->window, &info) || info.subsystem != SDL_SYSWM_X11)
        return true;
    Display *d = info.info.x11.display;
    Atom check = XInternAtom(d, "_NET_SUPPORTING_WM_CHECK", True);
    if (check == None)
        return false;
    Atom type;
    int format;
    unsigned long n = 0, after;
    unsigned char *data = NULL;
    int rc = XGetWindowProperty(d, DefaultRootWindow(d), check, 0, 1, False, XA_WINDOW, &type,
                                &format, &n, &after, &data);
    bool found = rc == Success && data && n == 1;
    if (data)
        XFree(data);
    return found;
#else
    (void)sh;
    return true;
#endif
}

/* Full screen on or off: through the window manager, or without one by hand (borderless, as
 * large as the display, and back). */
static void apply_fullscreen(shell *sh, bool on) {
    SDL_Rect b;
    if (on && !window_manager(sh) && display_bounds(sh, &b)) {
        SDL_GetWindowPosition(sh->window, &sh->windowed.x, &sh->windowed.y);
        SDL_GetWindowSize(sh->window, &sh->windowed.w, &sh->windowed.h);
        SDL_SetWindowBordered(sh->window, SDL_FALSE);
        SDL_SetWindowPosition(sh->window, b.x, b.y);
        SDL_SetWindowSize(sh->window, b.w, b.h);
        SDL_RaiseWindow(sh->window);
        sh->manual_fullscreen = true;
    } else if (on) {
        SDL_SetWindowFullscreen(sh->window, SDL_WINDOW_FULLSCREEN_DESKTOP);
    } else if (sh->manual_fullscreen) {
        SDL_SetWindowBordered(sh->window, SDL_TRUE);
        SDL_SetWindowSize(sh->window, sh->windowed.w, sh->windowed.h);
        SDL_SetWindowPosition(sh->window, sh->windowed.x, sh->windowed.y);
        sh->manual_fullscreen = false;
    } else {
        SDL_SetWindowFullscreen(sh->window, 0);
    }
    sh->fullscreen = on;
    sh->force_frame = true;
}

/* The window follows the state: full screen, title, error banners echoed to stderr. */
static void sync_window(shell *sh) {
    const ats_app_state *s = ats_app_get_state(sh->app);
    if (s->fullscreen != sh->fullscreen)
        apply_fullscreen(sh, s->fullscreen);
    if (strcmp(s->model_name, sh->title_model) != 0) {
        snprintf(sh->title_model, sizeof sh->title_model, "%s", s->model_name);
        char title[300];
        snprintf(title, sizeof title, "attnscope - %s", s->model_name);
        SDL_SetWindowTitle(sh->window, title);
    }
    if (strcmp(s->banner, sh->last_banner) != 0) {
        snprintf(sh->last_banner, sizeof sh->last_banner, "%s", s->banner);
        if (s->banner[0] && s->banner_is_error)
            fprintf(stderr, "attnscope: %s\n", s->banner);
    }
}

/* SDL counts the composition cursor in characters; the state keeps bytes. */
static int char_to_byte(const char *utf8, int chars) {
    int i = 0;
    while (utf8[i] && chars-- > 0) {
        i++;
        while (((unsigned char)utf8[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static void pointer_at(shell *sh, int x, int y) {
    sh->pointer_x = (float)x * sh->frame.scale;
    sh->pointer_y = (float)y * sh->frame.scale;
}

/* The pointer's shape says what a press would do: an I-beam over the text, a hand over a
 * control, a move cross while panning. */
enum { CURSOR_ARROW, CURSOR_IBEAM, CURSOR_HAND, CURSOR_MOVE };

static void set_cursor(shell *sh, const ats_app_hit *hit) {
    int c = CURSOR_ARROW;
    switch (hit->kind) {
    case ATS_APP_HIT_TEXT:
        c = CURSOR_IBEAM;
        break;
    case ATS_APP_HIT_CELL:
        c = sh->button_down ? CURSOR_MOVE : CURSOR_ARROW;
        break;
    case ATS_APP_HIT_NONE:
    case ATS_APP_HIT_VIEWS:
    case ATS_APP_HIT_PANEL:
    case ATS_APP_HIT_HELP:
    case ATS_APP_HIT_MENU_OUTSIDE:
        break;
    default:
        c = CURSOR_HAND;
        break;
    }
    if (c != sh->cursor && sh->cursors[c]) {
        SDL_SetCursor(sh->cursors[c]);
        sh->cursor = c;
    }
}

/* Where the pointer is over the window now, in device pixels (drops carry no position). */
static void pointer_now(shell *sh, float *x, float *y) {
    int gx, gy, wx, wy;
    SDL_GetGlobalMouseState(&gx, &gy);
    SDL_GetWindowPosition(sh->window, &wx, &wy);
    *x = (float)(gx - wx) * sh->frame.scale;
    *y = (float)(gy - wy) * sh->frame.scale;
}

static void dropped(shell *sh, const char *path) {
    float x, y;
    pointer_now(sh, &x, &y);
    ats_app_hit hit = ats_app_hit_test(sh->app, &sh->frame, x, y);
    unsigned mods = ats_sdl_mods(SDL_GetModState()) | (sh->drop_shift ? ATS_MOD_SHIFT : 0);
    ats_app_drop(sh->app, path, &hit, mods, ats_clock_ms());
}

/* ATS_TEST_DROP_FILE: each new complete line becomes a drop event. */
static void poll_drop_file(shell *sh) {
    double now = ats_clock_ms();
    if (!sh->drop_file || now - sh->drop_checked_ms < 100)
        return;
    sh->drop_checked_ms = now;
    FILE *f = fopen(sh->drop_file, "r");
    if (!f)
        return;
    char line[4096];
    if (fseek(f, sh->drop_read, SEEK_SET) == 0)
        while (fgets(line, sizeof line, f)) {
            size_t n = strlen(line);
            if (n == 0 || line[n - 1] != '\n')
                break; /* not written whole yet */
            sh->drop_read += (long)n;
            line[n - 1] = '\0';
            if (!line[0])
                continue;
            SDL_Event ev;
            SDL_zero(ev);
            ev.type = SDL_DROPFILE;
            ev.drop.file = SDL_strdup(line);
            ev.drop.windowID = SDL_GetWindowID(sh->window);
            if (ev.drop.file && SDL_PushEvent(&ev) != 1)
                SDL_free(ev.drop.file);
        }
    fclose(f);
}

static void handle(shell *sh, const SDL_Event *ev, bool *quit) {
    ats_app *app = sh->app;
    switch (ev->type) {
    case SDL_QUIT:
        *quit = true;
        break;
    case SDL_KEYDOWN: {
        ats_key_event k = {ats_sdl_key(ev->key.keysym.sym), ats_sdl_mods(ev->key.keysym.mod),
                           ev->key.repeat != 0};
        ats_app_key(app, k, ats_sdl_event_ms(ev->key.timestamp));
        break;
    }
    case SDL_TEXTINPUT:
        ats_app_set_preedit(app, "", 0);
        ats_app_text_input(app, ev->text.text, ats_sdl_event_ms(ev->text.timestamp));
        break;
    case SDL_TEXTEDITING:
        ats_app_set_preedit(app, ev->edit.text, char_to_byte(ev->edit.text, ev->edit.start));
        break;
    case SDL_MOUSEMOTION: {
        float old_x = sh->pointer_x, old_y = sh->pointer_y;
        pointer_at(sh, ev->motion.x, ev->motion.y);
        ats_app_hit hit = ats_app_hit_test(app, &sh->frame, sh->pointer_x, sh->pointer_y);
        if (sh->button_down)
            ats_app_pointer_drag(app, &hit, sh->pointer_x - old_x, sh->pointer_y - old_y);
        else
            ats_app_pointer_move(app, &hit);
        set_cursor(sh, &hit);
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (ev->button.button == SDL_BUTTON_LEFT) {
            pointer_at(sh, ev->button.x, ev->button.y);
            ats_app_hit hit = ats_app_hit_test(app, &sh->frame, sh->pointer_x, sh->pointer_y);
            sh->button_down = true;
            ats_app_pointer_down(app, &hit, ev->button.clicks, ats_sdl_mods(SDL_GetModState()),
                                 ats_clock_ms());
        }
        break;
    case SDL_MOUSEBUTTONUP:
        if (ev->button.button == SDL_BUTTON_LEFT) {
            sh->button_down = false;
            ats_app_pointer_up(app);
        }
        break;
    case SDL_MOUSEWHEEL: {
#if SDL_VERSION_ATLEAST(2, 26, 0)
        pointer_at(sh, ev->wheel.mouseX, ev->wheel.mouseY);
#endif
        ats_app_hit hit = ats_app_hit_test(app, &sh->frame, sh->pointer_x, sh->pointer_y);
        float dy = ev->wheel.preciseY;
        if (ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
            dy = -dy;
        ats_app_wheel(app, &hit, dy);
        break;
    }
    case SDL_DROPFILE: { /* a model file or folder, or a folder for the exports */
        const char *path = ev->drop.file;
        sh->drop_shift = strncmp(path, "shift:", 6) == 0 && sh->drop_file;
        dropped(sh, sh->drop_shift ? path + 6 : path);
        sh->drop_shift = false;
        SDL_free(ev->drop.file);
        break;
    }
    case SDL_DROPTEXT:
        SDL_free(ev->drop.file);
        break;
    case SDL_WINDOWEVENT:
        switch (ev->window.event) {
        case SDL_WINDOWEVENT_SIZE_CHANGED:
        case SDL_WINDOWEVENT_EXPOSED:
        case SDL_WINDOWEVENT_RESTORED:
            sh->force_frame = true;
            break;
        case SDL_WINDOWEVENT_LEAVE: {
            ats_app_hit none = {.kind = ATS_APP_HIT_NONE, .index = -1, .index2 = -1};
            ats_app_pointer_move(app, &none);
            break;
        }
        default:
            break;
        }
        break;
    case SDL_RENDER_TARGETS_RESET:
    case SDL_RENDER_DEVICE_RESET: /* textures may be gone: make a new one */
        if (sh->texture)
            SDL_DestroyTexture(sh->texture);
        sh->texture = NULL;
        sh->force_frame = true;
        break;
    default:
        break;
    }
}

static void run_loop(shell *sh) {
    bool quit = false;
    while (!quit) {
        SDL_Event ev;
        bool busy = ats_app_needs_frame(sh->app) || sh->force_frame;
        poll_drop_file(sh);
        bool got = busy ? SDL_PollEvent(&ev) : SDL_WaitEventTimeout(&ev, IDLE_WAIT_MS);
        while (got && !quit) {
            handle(sh, &ev, &quit);
            got = SDL_PollEvent(&ev);
        }
        ats_app_wait_result(sh->app, SAME_FRAME_BUDGET_MS);
        ats_app_update(sh->app, ats_clock_ms());
        sync_window(sh);
        if (ats_app_get_state(sh->app)->quit_requested)
            quit = true;
        if (!quit && (ats_app_needs_frame(sh->app) || sh->force_frame))
            present(sh);
    }
}

static void destroy(shell *sh) {
    ats_app_free(sh->app); /* joins the worker before SDL goes */
    for (int i = 0; i < 4; i++)
        if (sh->cursors[i])
            SDL_FreeCursor(sh->cursors[i]);
    ats_frame_free(&sh->frame);
    if (sh->texture)
        SDL_DestroyTexture(sh->texture);
    if (sh->renderer)
        SDL_DestroyRenderer(sh->renderer);
    if (sh->window)
        SDL_DestroyWindow(sh->window);
    SDL_Quit();
}

int ats_window_run(const ats_window_opts *opts) {
    char why[512];
    if (!open_video(why, sizeof why)) {
        fprintf(stderr, "attnscope: no display available (%s); writing a sample heatmap instead\n",
                why);
        return ATS_WINDOW_NO_DISPLAY;
    }
    shell sh = {.frame.scale = 1.0f};
    if (!create_window(&sh, why, sizeof why)) {
        fprintf(stderr, "attnscope: cannot open a window (%s); writing a sample heatmap instead\n",
                why);
        destroy(&sh);
        return ATS_WINDOW_NO_DISPLAY;
    }
    sh.wake_event = SDL_RegisterEvents(1);
    ats_app_config cfg = {
        .model_path = opts->model_path,
        .tokenizer_path = opts->tokenizer_path,
        .causal = opts->causal,
        .text = opts->text,
        .text_len = opts->text_len,
        .font_path = opts->font_path,
        .export_dir = opts->export_dir,
        .compare_model_path = opts->compare_model_path,
        .latency_log_path = nonempty_env("ATS_LATENCY_LOG") ? getenv("ATS_LATENCY_LOG") : NULL,
        .wake = sh.wake_event != (Uint32)-1 ? wake : NULL,
        .wake_user = &sh,
    };
    ats_error err;
    if (ats_app_new(&cfg, ats_clock_ms(), &sh.app, &err) != ATS_OK) {
        fprintf(stderr, "attnscope: %s\n", err.message);
        destroy(&sh);
        return 2;
    }
    ats_clipboard cb = ats_sdl_clipboard();
    ats_app_set_clipboard(sh.app, &cb);
    sh.drop_file = nonempty_env("ATS_TEST_DROP_FILE") ? getenv("ATS_TEST_DROP_FILE") : NULL;
    sh.cursors[CURSOR_ARROW] = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_ARROW);
    sh.cursors[CURSOR_IBEAM] = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_IBEAM);
    sh.cursors[CURSOR_HAND] = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_HAND);
    sh.cursors[CURSOR_MOVE] = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_SIZEALL);
    SDL_StartTextInput();
    sh.force_frame = true;
    run_loop(&sh);
    SDL_StopTextInput();
    destroy(&sh);
    return 0;
}
