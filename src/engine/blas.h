/* The BLAS library under ats_gemm: which kernels it runs, and its threads.
 *
 * attnscope's thread policy (see ops.h) is that BLAS runs single-threaded on whichever thread
 * calls it; the forward pass splits its products among its own team of threads (pool.h). So
 * ats_blas_setup sets OpenBLAS to one thread, and OpenBLAS's own threads never spin beside ours.
 *
 * The kernels: Debian's OpenBLAS (built with DYNAMIC_ARCH) picks its kernels for the CPU when it
 * loads. Releases older than the CPU do not recognise it and fall back to generic SSE kernels
 * (OpenBLAS 0.3.21 on a current Intel Xeon: "Prescott", sgemm at a quarter of the AVX-512
 * speed). ats_blas_setup asks OpenBLAS which core it chose and, when it fell back on a CPU with
 * AVX, AVX2 or AVX-512, re-runs OpenBLAS's own kernel selection with the core the CPU supports
 * (SkylakeX, Haswell or Sandybridge), before any product runs. An explicit OPENBLAS_CORETYPE in
 * the environment is the user's choice and is left alone. Another BLAS (or an OpenBLAS without
 * DYNAMIC_ARCH) is used as it is.
 *
 * Threads: ats_blas_setup runs once (pthread_once; also from a constructor before main) and
 * ats_blas_describe / ats_blas_core may be called from any thread. ats_blas_force_core,
 * ats_blas_repair_fallback and ats_blas_floor_threads change process-wide state (the
 * environment, OpenBLAS's tables and thread count): tests and benchmarks only, with no product
 * running on another thread.
 */
#ifndef ATS_ENGINE_BLAS_H
#define ATS_ENGINE_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/* Chooses the kernels (above) and sets BLAS to one thread. Idempotent; ats_model_load and the
 * forward pass call it. */
void ats_blas_setup(void);

/* "OpenBLAS 0.3.21, Haswell kernels (chosen by attnscope: OpenBLAS fell back to Prescott)", or
 * "OpenBLAS 0.3.21, Zen kernels", or "a CBLAS (kernels unknown)". */
const char *ats_blas_describe(void);

/* The kernel set in use ("Zen", "SkylakeX"), or "unknown" when BLAS does not say. */
const char *ats_blas_core(void);

/* For tests of the fallback: runs OpenBLAS's kernel selection again as if OPENBLAS_CORETYPE were
 * `core` (e.g. "Prescott"); false when this BLAS cannot do that or does not know the name. */
bool ats_blas_force_core(const char *core);
/* The repair ats_blas_setup makes, applied now: true when it switched the kernels, with the
 * core OpenBLAS had chosen written to `was` (may be NULL). */
bool ats_blas_repair_fallback(char *was, size_t size);

/* OpenBLAS's own threads for a benchmark of plain products (the "floor" of `attnscope bench`,
 * what numpy would run); ats_blas_floor_threads(1) restores the policy above and stops
 * OpenBLAS's server threads, which would otherwise poll beside the next forward pass. */
void ats_blas_floor_threads(int n);

#endif
