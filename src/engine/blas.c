/* Kernel choice and threads of the BLAS under ats_gemm (blas.h).
 *
 * OpenBLAS's own entry points are looked up at run time (dlsym), so the engine still links and
 * runs with any other CBLAS: then nothing is repaired and the kernels are "unknown".
 *
 * OpenBLAS chooses its kernels in a library constructor, from the CPU model, or from
 * OPENBLAS_CORETYPE when set. gotoblas_dynamic_quit / gotoblas_dynamic_init (exported by every
 * DYNAMIC_ARCH build) forget that choice and make it again. The repair runs in this file's own
 * constructor, before main: no other thread of the process can be reading the environment
 * while OPENBLAS_CORETYPE is set for the moment of the choice, and no product has run yet. */
#include "blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef char *(*get_string_fn)(void);
typedef void (*void_fn)(void);
typedef void (*set_threads_fn)(int);

/* written once, by setup_once */
static char g_description[200];

/* Looks up a function of the loaded BLAS into *fn (a function pointer of `size` bytes), NULL
 * when absent. POSIX guarantees that dlsym's object pointer holds a function's address. */
static bool blas_function(const char *name, void *fn, size_t size) {
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (size != sizeof sym)
        sym = NULL;
    memset(fn, 0, size);
    if (sym)
        memcpy(fn, &sym, size);
    return sym != NULL;
}

const char *ats_blas_core(void) {
    get_string_fn corename;
    const char *core =
        blas_function("openblas_get_corename", &corename, sizeof corename) ? corename() : NULL;
    return core && core[0] ? core : "unknown";
}

/* Cores whose kernels use no AVX: what OpenBLAS falls back to on a CPU it does not know. */
static bool is_generic_core(const char *core) {
    static const char *const GENERIC[] = {
        "Unknown", "Katmai",       "Coppermine", "Northwood",  "Prescott", "Banias",
        "Atom",    "Core2",        "Penryn",     "Dunnington", "Nehalem",  "Athlon",
        "Opteron", "Opteron_SSE3", "Barcelona",  "Nano",       "Bobcat",
    };
    for (size_t i = 0; i < sizeof GENERIC / sizeof GENERIC[0]; i++)
        if (strcasecmp(core, GENERIC[i]) == 0)
            return true;
    return false;
}

/* The best OpenBLAS core this CPU and OS run, or NULL (no AVX, or not x86). */
static const char *best_core(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    if (__builtin_cpu_supports("avx"))
        return "Sandybridge";
#endif
    return NULL;
}

bool ats_blas_force_core(const char *core) {
    void_fn quit, init;
    if (!blas_function("gotoblas_dynamic_quit", &quit, sizeof quit) ||
        !blas_function("gotoblas_dynamic_init", &init, sizeof init) || !core)
        return false;
    const char *old = getenv("OPENBLAS_CORETYPE");
    char *saved = old ? strdup(old) : NULL;
    if (old && !saved)
        return false;
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    if (saved) {
        setenv("OPENBLAS_CORETYPE", saved, 1);
        free(saved);
    } else {
        unsetenv("OPENBLAS_CORETYPE");
    }
    return strcasecmp(ats_blas_core(), core) == 0;
}

bool ats_blas_repair_fallback(char *was, size_t size) {
    const char *chosen = ats_blas_core();
    const char *best = best_core();
    if (!best || !is_generic_core(chosen))
        return false;
    char old[32];
    snprintf(old, sizeof old, "%s", chosen);
    if (!ats_blas_force_core(best)) {
        ats_blas_force_core(old); /* as it was, whatever happened */
        return false;
    }
    if (was && size)
        snprintf(was, size, "%s", old);
    return true;
}

typedef int (*shutdown_fn)(void);

void ats_blas_floor_threads(int n) {
    set_threads_fn set;
    if (blas_function("openblas_set_num_threads", &set, sizeof set))
        set(n < 1 ? 1 : n);
    /* Back to one thread: OpenBLAS's server threads would otherwise keep polling (sched_yield)
     * for about 2^28 cycles after their last product, taking a core from the next forward pass's
     * own team. Stopping them is OpenBLAS's fork handler; its next threaded product starts them
     * again (exec_blas re-initialises a stopped server). */
    shutdown_fn stop;
    if (n <= 1 && blas_function("blas_thread_shutdown_", &stop, sizeof stop))
        stop();
}

static void describe(const char *fallback) {
    get_string_fn config;
    if (!blas_function("openblas_get_config", &config, sizeof config)) {
        snprintf(g_description, sizeof g_description, "a CBLAS (kernels unknown)");
        return;
    }
    /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..." -> "OpenBLAS 0.3.21" */
    char version[48] = "OpenBLAS";
    const char *c = config();
    if (c && strncmp(c, "OpenBLAS ", 9) == 0)
        snprintf(version, sizeof version, "OpenBLAS %.*s", (int)strcspn(c + 9, " "), c + 9);
    if (fallback[0])
        snprintf(g_description, sizeof g_description,
                 "%s, %s kernels (chosen by attnscope: OpenBLAS fell back to %s on this CPU)",
                 version, ats_blas_core(), fallback);
    else
        snprintf(g_description, sizeof g_description, "%s, %s kernels", version, ats_blas_core());
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void setup_once(void) {
    char fallback[32] = "";
    if (!getenv("OPENBLAS_CORETYPE"))
        ats_blas_repair_fallback(fallback, sizeof fallback);
    ats_blas_floor_threads(1);
    describe(fallback);
}

void ats_blas_setup(void) {
    pthread_once(&g_once, setup_once);
}

const char *ats_blas_describe(void) {
    ats_blas_setup();
    return g_description;
}

/* Before main (see the top of the file). */
__attribute__((constructor)) static void setup_at_load(void) {
    ats_blas_setup();
}
