/* Every backward of the trainer against finite differences of its forward.
 *
 * Each op's output is reduced to a scalar L = sum(out * R) with a fixed random R, and dL/dinput
 * from the backward is compared with central differences (L(x + h) - L(x - h)) / 2h at h = 1e-2.
 * The ops are float32, so the differences carry rounding noise (about 1e-4 here) besides the
 * h^2 truncation error; a gradient passes when |fd - g| <= 1e-4 + 2e-3 |g| for every element
 * checked (the worst element of any check here uses under half of that; FD_VERBOSE=1 prints
 * each). A wrong backward (a missing term, a transposed matrix, a sign) is off by far more:
 * test_train_ops_check_catches_errors shows the check fails on a gradient scaled by 1.02.
 *
 * The whole model's gradient (ats_tr_backward: cross-entropy through the LM head, final norm,
 * every block and the embeddings) is checked the same way for every parameter of three small
 * models: with an MLP and learned positions, attention-only with rotary positions, one layer. */
#include "test_support.h"

#include "base.h"
#include "ops.h"
#include "tmodel.h"
#include "tops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FD_H    1e-2f
#define FD_ATOL 1e-4
#define FD_RTOL 2e-3

static float *random_floats(size_t n, ats_rng *rng, float scale) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * ats_rng_gauss(rng);
    return x;
}

static float *zeros(size_t n) {
    float *x = calloc(n, sizeof *x);
    assert_non_null(x);
    return x;
}

/* The scalar every op check reduces its output to. */
static double dot(const float *out, const float *r, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * r[i];
    return s;
}

typedef double (*loss_fn)(void *ctx);

/* Worst |fd - g| / (FD_ATOL + FD_RTOL |g|) over the elements of x (every one, or 400 spread
 * evenly); <= 1 passes. */
static double fd_ratio(float *x, size_t n, const float *grad, loss_fn f, void *ctx) {
    size_t step = n > 400 ? n / 400 : 1;
    double worst = 0.0;
    for (size_t i = 0; i < n; i += step) {
        float keep = x[i];
        x[i] = keep + FD_H;
        double up = f(ctx);
        x[i] = keep - FD_H;
        double down = f(ctx);
        x[i] = keep;
        double fd = (up - down) / (2.0 * FD_H);
        double ratio = fabs(fd - grad[i]) / (FD_ATOL + FD_RTOL * fabs(grad[i]));
        worst = ratio > worst ? ratio : worst;
    }
    return worst;
}

static void check(const char *what, float *x, size_t n, const float *grad, loss_fn f, void *ctx) {
    double r = fd_ratio(x, n, grad, f, ctx);
    if (getenv("FD_VERBOSE"))
        print_message("%-28s worst %.3f of the tolerance\n", what, r);
    if (r > 1.0)
        fail_msg("%s: the gradient is off by %.2f times the tolerance", what, r);
}

/* ---- linear -------------------------------------------------------------------------------- */

typedef struct lin_ctx {
    int N, n_in, n_out;
    float *x, *W, *b, *y, *r;
} lin_ctx;

static double lin_loss(void *p) {
    lin_ctx *c = p;
    ats_tr_linear_fwd(c->y, c->x, c->W, c->b, c->N, c->n_in, c->n_out);
    return dot(c->y, c->r, (size_t)c->N * c->n_out);
}

static void test_train_ops_linear(void **state) {
    (void)state;
    ats_rng rng = {11};
    lin_ctx c = {.N = 7, .n_in = 5, .n_out = 6};
    size_t nx = 35, nw = 30, ny = 42;
    c.x = random_floats(nx, &rng, 1);
    c.W = random_floats(nw, &rng, 0.5f);
    c.b = random_floats(6, &rng, 0.5f);
    c.y = zeros(ny);
    c.r = random_floats(ny, &rng, 1);
    float *dx = zeros(nx), *dW = zeros(nw), *db = zeros(6);
    ats_tr_linear_bwd(dx, dW, db, c.r, c.x, c.W, c.N, c.n_in, c.n_out);
    check("linear dx", c.x, nx, dx, lin_loss, &c);
    check("linear dW", c.W, nw, dW, lin_loss, &c);
    check("linear db", c.b, 6, db, lin_loss, &c);
    free(c.x), free(c.W), free(c.b), free(c.y), free(c.r), free(dx), free(dW), free(db);
}

/* ---- unembedding ----------------------------------------------------------------------------- */

static double unembed_loss(void *p) {
    lin_ctx *c = p; /* n_in = D, n_out = V */
    ats_tr_unembed_fwd(c->y, c->x, c->W, c->N, c->n_in, c->n_out);
    return dot(c->y, c->r, (size_t)c->N * c->n_out);
}

static void test_train_ops_unembed(void **state) {
    (void)state;
    ats_rng rng = {12};
    lin_ctx c = {.N = 5, .n_in = 4, .n_out = 9};
    c.x = random_floats(20, &rng, 1);
    c.W = random_floats(36, &rng, 0.5f);
    c.y = zeros(45);
    c.r = random_floats(45, &rng, 1);
    float *dx = zeros(20), *dW = zeros(36);
    ats_tr_unembed_bwd(dx, dW, c.r, c.x, c.W, c.N, c.n_in, c.n_out);
    check("unembed dx", c.x, 20, dx, unembed_loss, &c);
    check("unembed dW", c.W, 36, dW, unembed_loss, &c);
    free(c.x), free(c.W), free(c.y), free(c.r), free(dx), free(dW);
}

/* ---- LayerNorm --------------------------------------------------------------------------------
 */

typedef struct ln_ctx {
    int N, D;
    float *x, *w, *b, *y, *mean, *rstd, *r;
} ln_ctx;

static double ln_loss(void *p) {
    ln_ctx *c = p;
    ats_tr_layernorm_fwd(c->y, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->D, 1e-5f);
    return dot(c->y, c->r, (size_t)c->N * c->D);
}

static void test_train_ops_layernorm(void **state) {
    (void)state;
    ats_rng rng = {13};
    ln_ctx c = {.N = 6, .D = 8};
    size_t n = 48;
    c.x = random_floats(n, &rng, 1);
    c.w = random_floats(8, &rng, 1);
    c.b = random_floats(8, &rng, 1);
    c.y = zeros(n);
    c.mean = zeros(6);
    c.rstd = zeros(6);
    c.r = random_floats(n, &rng, 1);
    ln_loss(&c);
    float *dx = zeros(n), *dw = zeros(8), *db = zeros(8);
    ats_tr_layernorm_bwd(dx, dw, db, c.r, c.x, c.mean, c.rstd, c.w, c.N, c.D);
    check("layernorm dx", c.x, n, dx, ln_loss, &c);
    check("layernorm dw", c.w, 8, dw, ln_loss, &c);
    check("layernorm db", c.b, 8, db, ln_loss, &c);
    free(c.x), free(c.w), free(c.b), free(c.y), free(c.mean), free(c.rstd), free(c.r);
    free(dx), free(dw), free(db);
}

/* ---- attention, with and without rotary positions ----------------------------------------------
 */

typedef struct att_ctx {
    int T, H, dh;
    bool rope;
    float *qkv, *roped, *att, *out, *r, *inv_freq;
    double table[6 * 2 * 2]; /* (T, dh/2, 2) */
} att_ctx;

static double att_loss(void *p) {
    att_ctx *c = p;
    size_t n = (size_t)c->T * 3 * c->H * c->dh;
    memcpy(c->roped, c->qkv, n * sizeof(float));
    if (c->rope)
        ats_tr_rope_fwd(c->roped, c->T, c->H, c->dh, c->table);
    ats_tr_attention_fwd(c->out, c->att, c->roped, c->T, c->H, c->dh, 0.5f);
    return dot(c->out, c->r, (size_t)c->T * c->H * c->dh);
}

static void check_attention(bool rope) {
    ats_rng rng = {rope ? 15u : 14u};
    att_ctx c = {.T = 6, .H = 2, .dh = 4, .rope = rope};
    size_t n = 6 * 3 * 8, nout = 48;
    c.qkv = random_floats(n, &rng, 1);
    c.roped = zeros(n);
    c.att = zeros(2 * 36);
    c.out = zeros(nout);
    c.r = random_floats(nout, &rng, 1);
    c.inv_freq = zeros(2);
    ats_rope_scaling none = {.kind = ATS_ROPE_SCALING_NONE, .factor = 1};
    ats_rope_inv_freq(c.inv_freq, 4, 10000.0f, &none);
    ats_tr_rope_table(c.table, c.T, c.dh, c.inv_freq);
    att_loss(&c);
    float *dqkv = zeros(n), *scratch = zeros(36);
    ats_tr_attention_bwd(dqkv, c.r, c.roped, c.att, c.T, c.H, c.dh, 0.5f, scratch);
    if (rope)
        ats_tr_rope_bwd(dqkv, c.T, c.H, c.dh, c.table);
    check(rope ? "attention with rope dqkv" : "attention dqkv", c.qkv, n, dqkv, att_loss, &c);
    free(c.qkv), free(c.roped), free(c.att), free(c.out), free(c.r), free(c.inv_freq);
    free(dqkv), free(scratch);
}

static void test_train_ops_attention(void **state) {
    (void)state;
    check_attention(false);
}

static void test_train_ops_attention_rope(void **state) {
    (void)state;
    check_attention(true);
}

/* ---- GELU, cross-entropy, embeddings ------------------------------------------------------------
 */

typedef struct vec_ctx {
    size_t n;
    float *x, *y, *r;
} vec_ctx;

static double gelu_loss(void *p) {
    vec_ctx *c = p;
    ats_tr_gelu_fwd(c->y, c->x, c->n);
    return dot(c->y, c->r, c->n);
}

static void test_train_ops_gelu(void **state) {
    (void)state;
    ats_rng rng = {16};
    vec_ctx c = {.n = 64};
    c.x = random_floats(64, &rng, 2);
    c.y = zeros(64);
    c.r = random_floats(64, &rng, 1);
    float *dx = zeros(64);
    ats_tr_gelu_bwd(dx, c.r, c.x, 64);
    check("gelu dx", c.x, 64, dx, gelu_loss, &c);
    free(c.x), free(c.y), free(c.r), free(dx);
}

typedef struct xent_ctx {
    int N, V;
    float *logits, *work;
    int32_t *targets;
} xent_ctx;

static double xent_loss(void *p) {
    xent_ctx *c = p;
    memcpy(c->work, c->logits, (size_t)c->N * c->V * sizeof(float));
    return ats_tr_cross_entropy(c->work, c->targets, c->N, c->V, 1.0f) / 3.0; /* a mean of 3 */
}

static void test_train_ops_cross_entropy(void **state) {
    (void)state;
    ats_rng rng = {17};
    int32_t targets[4] = {2, -1, 0, 6}; /* -1: not counted */
    xent_ctx c = {.N = 4, .V = 7, .targets = targets};
    c.logits = random_floats(28, &rng, 2);
    c.work = zeros(28);
    float *grad = zeros(28);
    memcpy(grad, c.logits, 28 * sizeof(float));
    double loss = ats_tr_cross_entropy(grad, targets, 4, 7, 1.0f / 3.0f);
    assert_true(loss > 0);
    check("cross-entropy dlogits", c.logits, 28, grad, xent_loss, &c);
    for (int i = 7; i < 14; i++) /* the skipped row has no gradient */
        assert_true(grad[i] == 0.0f);
    free(c.logits), free(c.work), free(grad);
}

typedef struct emb_ctx {
    float *wte, *wpe, *x, *r;
    const int32_t *ids;
} emb_ctx;

static double emb_loss(void *p) {
    emb_ctx *c = p;
    ats_tr_embed_fwd(c->x, c->ids, c->wte, c->wpe, 2, 3, 4);
    return dot(c->x, c->r, 24);
}

static void test_train_ops_embedding(void **state) {
    (void)state;
    ats_rng rng = {18};
    static const int32_t ids[6] = {4, 1, 4, 0, 2, 1}; /* 2 sequences of 3, ids repeat */
    emb_ctx c = {.ids = ids};
    c.wte = random_floats(20, &rng, 1);
    c.wpe = random_floats(12, &rng, 1);
    c.x = zeros(24);
    c.r = random_floats(24, &rng, 1);
    float *dwte = zeros(20), *dwpe = zeros(12);
    ats_tr_embed_bwd(dwte, dwpe, c.r, ids, 2, 3, 4);
    check("embedding dwte", c.wte, 20, dwte, emb_loss, &c);
    check("embedding dwpe", c.wpe, 12, dwpe, emb_loss, &c);
    free(c.wte), free(c.wpe), free(c.x), free(c.r), free(dwte), free(dwpe);
}

/* The check itself: a gradient 2% off fails it. */
static void test_train_ops_check_catches_errors(void **state) {
    (void)state;
    ats_rng rng = {19};
    vec_ctx c = {.n = 64};
    c.x = random_floats(64, &rng, 2);
    c.y = zeros(64);
    c.r = random_floats(64, &rng, 1);
    float *dx = zeros(64);
    ats_tr_gelu_bwd(dx, c.r, c.x, 64);
    for (int i = 0; i < 64; i++)
        dx[i] *= 1.02f;
    assert_true(fd_ratio(c.x, 64, dx, gelu_loss, &c) > 1.0);
    free(c.x), free(c.y), free(c.r), free(dx);
}

/* ---- the whole model
 * ------------------------------------------------------------------------------ */

typedef struct model_ctx {
    ats_tr_model m;
    ats_tr_acts a;
    float *params;
    int32_t ids[12], targets[12];
} model_ctx;

static double model_loss(void *p) {
    model_ctx *c = p;
    ats_tr_forward(&c->m, c->params, &c->a, c->ids, 2, 6);
    return ats_tr_cross_entropy(c->a.logits, c->targets, 12, c->m.cfg.vocab, 1.0f) / 12.0;
}

static void check_model(ats_tr_config cfg, uint64_t seed) {
    model_ctx c;
    ats_error err;
    assert_int_equal(ats_tr_model_init(&c.m, &cfg, &err), ATS_OK);
    assert_int_equal(ats_tr_acts_alloc(&c.a, &c.m, 2, 6, &err), ATS_OK);
    size_t n = c.m.n_params;
    c.params = zeros(n);
    ats_tr_model_init_params(&c.m, c.params, seed);
    ats_rng rng = {seed + 1};
    for (size_t i = 0; i < n; i++) /* larger than GPT-2's 0.02, so every path carries gradient */
        c.params[i] += 0.3f * ats_rng_gauss(&rng);
    for (int i = 0; i < 12; i++) {
        c.ids[i] = (int32_t)ats_rng_below(&rng, (uint32_t)cfg.vocab);
        c.targets[i] = i == 4 ? -1 : (int32_t)ats_rng_below(&rng, (uint32_t)cfg.vocab);
    }
    float *grads = zeros(n);
    ats_tr_forward(&c.m, c.params, &c.a, c.ids, 2, 6);
    ats_tr_backward(&c.m, c.params, grads, &c.a, c.ids, c.targets, 1.0f / 12.0f);
    for (int t = 0; t < c.m.n_tensors; t++) {
        const ats_tr_tensor *ten = &c.m.tensors[t];
        size_t count = (size_t)ten->dims[0] * (ten->n_dims == 2 ? (size_t)ten->dims[1] : 1);
        check(ten->name, c.params + ten->offset, count, grads + ten->offset, model_loss, &c);
    }
    free(grads);
    free(c.params);
    ats_tr_acts_release(&c.a);
    ats_tr_model_release(&c.m);
}

static void test_train_ops_model_mlp_learned(void **state) {
    (void)state;
    check_model((ats_tr_config){.n_layer = 2,
                                .n_head = 2,
                                .d_model = 8,
                                .d_ff = 12,
                                .vocab = 11,
                                .context = 6,
                                .eps = 1e-5f},
                21);
}

static void test_train_ops_model_attn_only_rope(void **state) {
    (void)state;
    check_model((ats_tr_config){.n_layer = 2,
                                .n_head = 2,
                                .d_model = 8,
                                .d_ff = 0,
                                .vocab = 9,
                                .context = 6,
                                .rope = true,
                                .rope_theta = 10000.0f,
                                .eps = 1e-5f},
                22);
}

static void test_train_ops_model_one_layer(void **state) {
    (void)state;
    check_model((ats_tr_config){.n_layer = 1,
                                .n_head = 4,
                                .d_model = 8,
                                .d_ff = 8,
                                .vocab = 7,
                                .context = 6,
                                .eps = 1e-5f},
                23);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_ops_linear),
        cmocka_unit_test(test_train_ops_unembed),
        cmocka_unit_test(test_train_ops_layernorm),
        cmocka_unit_test(test_train_ops_attention),
        cmocka_unit_test(test_train_ops_attention_rope),
        cmocka_unit_test(test_train_ops_gelu),
        cmocka_unit_test(test_train_ops_cross_entropy),
        cmocka_unit_test(test_train_ops_embedding),
        cmocka_unit_test(test_train_ops_check_catches_errors),
        cmocka_unit_test(test_train_ops_model_mlp_learned),
        cmocka_unit_test(test_train_ops_model_attn_only_rope),
        cmocka_unit_test(test_train_ops_model_one_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
