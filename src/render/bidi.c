/* Bidirectional text: a line's runs of one direction in the order they are seen, by the Unicode
 * bidirectional algorithm (FriBidi resolves the embedding levels; rule L2 reorders the runs). */
#include "render_internal.h"

#include <fribidi.h>
#include <stdlib.h>
#include <utf8proc.h>

int ats_bidi_runs(const char *utf8, size_t len, bool auto_direction, ats_bidi_run *runs, int max) {
    if (len == 0)
        return 0;
    /* codepoints and the byte where each starts (invalid bytes: one U+FFFD each) */
    FriBidiChar *cps = malloc(len * sizeof *cps);
    size_t *at = malloc((len + 1) * sizeof *at);
    FriBidiCharType *types = malloc(len * sizeof *types);
    FriBidiBracketType *brackets = malloc(len * sizeof *brackets);
    FriBidiLevel *levels = malloc(len * sizeof *levels);
    ats_bidi_run *all = malloc(len * sizeof *all);
    FriBidiLevel *run_level = malloc(len * sizeof *run_level);
    int n = 0, count = -1;
    if (!cps || !at || !types || !brackets || !levels || !all || !run_level)
        goto done;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)utf8 + i, (utf8proc_ssize_t)(len - i), &cp);
        at[n] = i;
        cps[n++] = k > 0 ? (FriBidiChar)cp : 0xFFFD;
        i += k > 0 ? (size_t)k : 1;
    }
    at[n] = len;
    fribidi_get_bidi_types(cps, n, types);
    fribidi_get_bracket_types(cps, n, types, brackets);
    FriBidiParType dir = auto_direction ? FRIBIDI_PAR_ON : FRIBIDI_PAR_LTR;
    FriBidiLevel top = fribidi_get_par_embedding_levels_ex(types, brackets, n, &dir, levels);
    if (top == 0)
        goto done;
    /* runs of one level, in logical order */
    int nr = 0;
    int lowest_odd = 1 << 8, highest = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && levels[j] == levels[i])
            j++;
        all[nr++] = (ats_bidi_run){at[i], at[j], levels[i] & 1};
        run_level[nr - 1] = levels[i];
        highest = levels[i] > highest ? levels[i] : highest;
        if ((levels[i] & 1) && levels[i] < lowest_odd)
            lowest_odd = levels[i];
        i = j;
    }
    /* L2: from the highest level down to the lowest odd one, reverse every sequence of runs at
     * that level or above */
    for (int lv = highest; lv >= lowest_odd && lv > 0; lv--)
        for (int i = 0; i < nr;) {
            if ((int)run_level[i] < lv) {
                i++;
                continue;
            }
            int j = i;
            while (j < nr && (int)run_level[j] >= lv)
                j++;
            for (int a = i, b = j - 1; a < b; a++, b--) {
                ats_bidi_run t = all[a];
                all[a] = all[b];
                all[b] = t;
                FriBidiLevel tl = run_level[a];
                run_level[a] = run_level[b];
                run_level[b] = tl;
            }
            i = j;
        }
    for (int i = 0; i < nr && i < max; i++)
        runs[i] = all[i];
    count = nr;
done:
    if (count < 0 && max > 0) { /* out of memory: the whole line, left to right */
        runs[0] = (ats_bidi_run){0, len, false};
        count = 1;
    }
    free(cps);
    free(at);
    free(types);
    free(brackets);
    free(levels);
    free(all);
    free(run_level);
    return count;
}
