/* SDL to app translations: key codes, modifiers, event times, the clipboard. */
#ifndef ATS_APP_SDL_INPUT_H
#define ATS_APP_SDL_INPUT_H

#include "editor.h"
#include "keymap.h"

#include <SDL.h>

ats_key ats_sdl_key(SDL_Keycode key);
unsigned ats_sdl_mods(Uint16 mod);
/* An SDL event timestamp (SDL_GetTicks milliseconds) on the ats_clock_ms clock. */
double ats_sdl_event_ms(Uint32 timestamp);
/* The system clipboard through SDL (UTF-8 text). */
ats_clipboard ats_sdl_clipboard(void);

#endif
