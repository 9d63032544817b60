/* The BLAS kernels: a forced fallback to OpenBLAS's generic kernels (what an unrecognised CPU
 * gets) is repaired to the kernels this CPU runs, and products stay right either way. Skips
 * when the BLAS is not an OpenBLAS that can re-choose its kernels. */
#include "test_support.h"

#include "blas.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void check_products(void) {
    enum { M = 37, N = 29, K = 41 };
    float *A = malloc(M * K * sizeof(float)), *B = malloc(N * K * sizeof(float));
    float *C = malloc(M * N * sizeof(float)), *R = malloc(M * N * sizeof(float));
    srand(3);
    for (int i = 0; i < M * K; i++)
        A[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (int i = 0; i < N * K; i++)
        B[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    ats_gemm(true, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
    ats_gemm_ref(true, M, N, K, 1.0f, A, K, B, K, 0.0f, R, N);
    ats_assert_close(C, R, M * N, 1e-5, "product");
    free(A), free(B), free(C), free(R);
}

static void test_blas_fallback_is_repaired(void **state) {
    (void)state;
    ats_blas_setup();
    const char *described = ats_blas_describe();
    assert_non_null(described);
    assert_true(strlen(described) > 0);
    if (strcmp(ats_blas_core(), "unknown") == 0 || !ats_blas_force_core("Prescott")) {
        print_message("skipped: this BLAS does not re-choose its kernels\n");
        skip();
    }
    assert_int_equal(strcasecmp(ats_blas_core(), "Prescott"), 0);
    check_products(); /* the generic kernels are slow, not wrong */
    char was[32] = "";
    if (!ats_blas_repair_fallback(was, sizeof was)) {
        print_message("skipped: this CPU has no AVX, so Prescott is its kernel set\n");
        skip();
    }
    assert_string_equal(was, "Prescott");
    const char *core = ats_blas_core();
    assert_true(strcasecmp(core, "SkylakeX") == 0 || strcasecmp(core, "Haswell") == 0 ||
                strcasecmp(core, "Sandybridge") == 0);
    check_products();
    /* a recognised CPU's choice is left alone */
    assert_false(ats_blas_repair_fallback(NULL, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blas_fallback_is_repaired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
