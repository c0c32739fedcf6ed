/*
 * Element-wise losses of (input x, target t[, weight w]), written once for both lane sets: D (W
 * doubles, float64 buffers) and S (2W floats, float32 buffers). A float32 loss is evaluated in
 * float32, as in PyTorch and on the NumPy path; the block sums are kept in double. Also the test
 * hooks of the elementary functions.
 */
#include "vecmath.h"

#define CHUNK 512 /* elements per pass of the specialised loops; a multiple of SUM_VECS vectors */

/* Loss l and derivative g of one vector of (x, t). `pv` is delta (Huber) or beta (smooth L1) in
 * every lane, `inv` its reciprocal (smooth L1).
 * For MSE, L1, Huber and smooth L1 a NaN or infinite x, t or weight always makes the (weighted)
 * loss NaN or infinite, so the callers test only the loss there (the two logistic losses can be
 * finite at x = inf: their inputs are tested too, and so is the target's range: [0, 1] for BCE
 * with logits, -1 or 1 for soft margin); Python then checks the inputs, since a finite input
 * whose loss overflows is no error.
 * The derivative omits constant factors (2 for MSE, the sign of soft margin), which the caller
 * folds into its gradient scale. */
#define DEFINE_PAIR_VEC(P)                                                                        \
    LL_INLINE void P##_pair_vec(int kind, P##_t x, P##_t t, P##_t pv, P##_t inv, P##_t *l,        \
                                P##_t *g) {                                                       \
        const P##_t zero = P##_splat(0), one = P##_splat(1);                                      \
        P##_t d = x - t;                                                                          \
        switch (kind) {                                                                           \
        case K_MSE:                                                                               \
            *l = d * d;                                                                           \
            *g = d;                                                                               \
            break;                                                                                \
        case K_L1:                                                                                \
            *l = P##_abs(d);                                                                      \
            *g = P##_sel(d > zero, one, P##_sel(d < zero, -one, zero));                           \
            break;                                                                                \
        case K_HUBER:                                                                             \
        case K_SMOOTH_L1: {                                                                       \
            /* a = |d|, q = min(a, delta): loss q (a - q/2), derivative copysign(q, d). Smooth \
             * L1 is Huber with delta = beta over beta (the caller sends only a beta whose      \
             * reciprocal is finite), evaluated piecewise so that nothing underflows before the \
             * loss does: with r = a/beta below beta and 1 from beta on, the loss is (a/2) r    \
             * below beta and a - beta/2 from beta on, the derivative copysign(r, d) */          \
            P##_t a = P##_abs(d), half = P##_splat(0.5);                                          \
            P##_t q = P##_min_abs(a, pv);                                                          \
            if (kind == K_SMOOTH_L1) {                                                            \
                P##_mask small = a < pv;                                                          \
                q = P##_sel(small, a * inv, one);                                                 \
                *l = P##_sel(small, (half * a) * q, a - half * pv);                               \
            } else                                                                                \
                *l = q * (a - half * q);                                                          \
            *g = P##_sel(d < zero, -q, P##_sel(d > zero, q, zero));                               \
            break;                                                                                \
        }                                                                                         \
        case K_BCE_LOGITS: {                                                                      \
            /* log1p(e^-|x|) + (1 - y) max(x, 0) - y min(x, 0); derivative                     \
             * (1 - y) s(x) - y s(-x), from r = s(|x|) = 1/(1 + e) and e r = s(-|x|) */           \
            P##_t e = P##_exp(-P##_abs(x));                                                       \
            P##_t omy = one - t;                                                                  \
            P##_t h = P##_log1p(e) + omy * P##_max(x, zero);                                      \
            *l = h - t * P##_min(x, zero);                                                        \
            P##_t r = one / (one + e);                                                            \
            P##_t er = e * r;                                                                     \
            P##_mask pos = x >= zero;                                                             \
            *g = P##_sel(pos, r, er) * omy - P##_sel(pos, er, r) * t;                             \
            break;                                                                                \
        }                                                                                         \
        case K_SOFT_MARGIN: {                                                                     \
            /* softplus(-y x) = log1p(e^-|x|) - min(y x, 0); derivative y sigmoid(-y x)         \
             * (negated by the caller) */                                                         \
            P##_t e = P##_exp(-P##_abs(x));                                                       \
            P##_t yx = t * x;                                                                     \
            P##_t r = one / (one + e);                                                            \
            *l = P##_log1p(e) - P##_min(yx, zero);                                                \
            *g = P##_sel(yx > zero, e * r, r) * t;                                                \
            break;                                                                                \
        }                                                                                         \
        case K_KL_DIV: /* x = log q, t = p: p (log p - x) with log 0 taken as 0; derivative p \
                        * (negated by the caller) */                                              \
            *l = t * (P##_sel(t > zero, P##_logp(t), zero) - x);                                  \
            *g = t;                                                                               \
            break;                                                                                \
        case K_KL_DIV_LOG: { /* t = log p <= 0: e^t (t - x); derivative e^t (negated) */        \
            P##_t p = P##_exp(t);                                                                 \
            *l = p * (t - x);                                                                     \
            *g = p;                                                                               \
            break;                                                                                \
        }                                                                                         \
        }                                                                                         \
    }

DEFINE_PAIR_VEC(D)
DEFINE_PAIR_VEC(S)

/* One vector of the element-wise loop, vector u of its group: the loss into the block's sums
 * and lossout, the scaled derivative into gout. w == NULL means weight 1. */
#define PAIR_STEP(P, KIND, XP, TP, WP, LP, GP, U)                                                  \
    {                                                                                             \
        P##_t xv = P##_load(XP), tv = P##_load(TP), wv = WP ? P##_load(WP) : one, l, g;           \
        P##_pair_vec(KIND, xv, tv, pv, inv, &l, &g);                                              \
        l *= wv;                                                                                  \
        if (!partial) bad += l - l; /* 0, or NaN for a NaN/inf loss (summed: see the end) */    \
        if (KIND == K_BCE_LOGITS || KIND == K_KL_DIV) /* x finite, 0 <= t <= 1 (not NaN) */    \
            bad += (xv - xv) + P##_sel(tv >= zero, zero, one) + P##_sel(tv <= one, zero, one);   \
        if (KIND == K_SOFT_MARGIN) /* x finite, t = -1 or 1 (|t t - 1| > 0 otherwise) */       \
            bad += (xv - xv) + P##_abs(tv * tv - one);                                            \
        if (KIND == K_KL_DIV_LOG) /* x and t finite, t <= 0 */                                  \
            bad += (xv - xv) + (tv - tv) + P##_sel(tv <= zero, zero, one);                        \
        if (partial) P##_acc(&acc, l, U);                                                          \
        if (LP) P##_store(LP, l);                                                                 \
        if (GP) P##_store(GP, (g * wv) * gs);                                                     \
    }

#define PAIR_AT(P, KIND, J, U)                                                                    \
    PAIR_STEP(P, KIND, x + s + (J), t + s + (J), (w ? w + s + (J) : NULL),                        \
              (lossout ? lossout + s + (J) : NULL), (gout ? gout + s + (J) : NULL), U)

/* One chunk [s, s + len): groups of P##_G whole vectors straight from the buffers, then the
 * remaining whole vectors, then the rest through a zero-padded copy (padding has weight 0 and
 * target 1, or 0 for the KL divergence with log-targets, so it adds 0 to the sum). */
#define PAIR_CHUNK(P, KIND)                                                                       \
    {                                                                                             \
        Py_ssize_t nfull = len / P##_W * P##_W, i = 0;                                            \
        for (; i + P##_G * P##_W <= nfull; i += P##_G * P##_W) {                                  \
            _Pragma("GCC unroll 8") /* constant u: the sums stay in registers */                 \
            for (int u = 0; u < P##_G; u++) PAIR_AT(P, KIND, i + u * P##_W, u)                    \
        }                                                                                         \
        int u = 0;                                                                                \
        for (; i < nfull; i += P##_W, u++) PAIR_AT(P, KIND, i, u)                                 \
        if (i < len) {                                                                            \
            P##_real xp[P##_W] = {0}, tp[P##_W], wp[P##_W] = {0}, lp[P##_W], gp[P##_W];           \
            for (int j = 0; j < P##_W; j++) /* a valid target for every loss */                  \
                tp[j] = KIND == K_KL_DIV_LOG ? 0 : 1;                                             \
            for (Py_ssize_t j = 0; i + j < len; j++) {                                            \
                xp[j] = x[s + i + j];                                                             \
                tp[j] = t[s + i + j];                                                             \
                wp[j] = w ? w[s + i + j] : 1;                                                     \
            }                                                                                     \
            const P##_real *xq = xp, *tq = tp, *wq = wp;                                          \
            P##_real *lq = lp, *gq = gp;                                                          \
            PAIR_STEP(P, KIND, xq, tq, wq, lq, gq, u)                                              \
            for (Py_ssize_t j = 0; i + j < len; j++) {                                            \
                if (lossout) lossout[s + i + j] = lp[j];                                          \
                if (gout) gout[s + i + j] = gp[j];                                                \
            }                                                                                     \
            i += P##_W;                                                                           \
            u++;                                                                                  \
        }                                                                                         \
        /* zeros to the end of the sum unit (a float32 vector always ends one) */                 \
        if (partial)                                                                              \
            for (; i % SUM_UNIT; i += P##_W, u++) P##_acc(&acc, P##_splat(0), u);                 \
    }

/* One function per loss kind and dtype (each register-allocated on its own), with one
 * specialised loop per gradient and weight flag: the switch in pair_vec folds away, and so do
 * the derivative and the weights when they are not needed. */
#define DEFINE_PAIR_KIND(NAME, P, KIND)                                                           \
    LL_CLONES static void NAME(const P##_real *x, const P##_real *t, const P##_real *w,          \
                               Py_ssize_t n, double dparam, P##_real *lossout, P##_real *gout,    \
                               double gscale, double *partial, Py_ssize_t block, uint64_t *fin) { \
        P##_t bad = P##_splat(0);                                                                 \
        const P##_t gs = P##_splat((P##_real)gscale), one = P##_splat(1), zero = P##_splat(0);    \
        const P##_real param = (P##_real)dparam;                                                  \
        /* delta or beta, and 1/beta, once (the caller sends only a beta whose reciprocal is \
         * finite; 0 for the losses without a parameter) */                                       \
        const P##_t pv = P##_splat(param), inv = P##_splat(param ? 1 / param : 0);               \
        for (Py_ssize_t b0 = 0, k = 0; b0 < n; b0 += block, k++) {                                \
            Py_ssize_t b1 = b0 + block < n ? b0 + block : n;                                      \
            kahan acc;                                                                            \
            kahan_zero(&acc);                                                                     \
            for (Py_ssize_t s = b0; s < b1; s += CHUNK) {                                         \
                Py_ssize_t len = b1 - s < CHUNK ? b1 - s : CHUNK;                                 \
                /* constant NULLs let the compiler drop the derivative and the weights */         \
                if (gout && w) {                                                                  \
                    PAIR_CHUNK(P, KIND)                                                           \
                } else if (gout) {                                                                \
                    const P##_real *const w = NULL;                                               \
                    PAIR_CHUNK(P, KIND)                                                           \
                } else if (w) {                                                                   \
                    P##_real *const gout = NULL;                                                  \
                    PAIR_CHUNK(P, KIND)                                                           \
                } else {                                                                          \
                    P##_real *const gout = NULL;                                                  \
                    const P##_real *const w = NULL;                                               \
                    PAIR_CHUNK(P, KIND)                                                           \
                }                                                                                 \
            }                                                                                     \
            if (partial) partial[k] = kahan_total(&acc);                                          \
        }                                                                                         \
        uint64_t any = 0;                                                                         \
        for (int j = 0; j < P##_W; j++) any |= bad[j] != 0;                                       \
        /* summed: a NaN/inf loss makes its block's sum NaN/inf (and so may an overflow) */      \
        for (Py_ssize_t k = 0; partial && k < (n + block - 1) / block; k++)                       \
            any |= !(partial[k] - partial[k] == 0);                                               \
        *fin = any;                                                                               \
    }

/* The kernels of every kind of PAIR_KIND_LIST for each dtype, and a table by kind code */
#define PAIR_KERNEL_D(E, id) DEFINE_PAIR_KIND(pair_f64_##id, D, K_##E)
#define PAIR_KERNEL_S(E, id) DEFINE_PAIR_KIND(pair_f32_##id, S, K_##E)
PAIR_KIND_LIST(PAIR_KERNEL_D)
PAIR_KIND_LIST(PAIR_KERNEL_S)

#define PAIR_FN_TYPE(P)                                                                           \
    typedef void (*P##_pair_fn)(const P##_real *, const P##_real *, const P##_real *, Py_ssize_t, \
                                double, P##_real *, P##_real *, double, double *, Py_ssize_t,     \
                                uint64_t *);
PAIR_FN_TYPE(D)
PAIR_FN_TYPE(S)
#define PAIR_ENTRY_D(E, id) [K_##E] = pair_f64_##id,
#define PAIR_ENTRY_S(E, id) [K_##E] = pair_f32_##id,
static const D_pair_fn pair_f64[N_PAIR_KINDS] = {PAIR_KIND_LIST(PAIR_ENTRY_D)};
static const S_pair_fn pair_f32[N_PAIR_KINDS] = {PAIR_KIND_LIST(PAIR_ENTRY_S)};

void pair_task(void *vctx, Py_ssize_t k, int who) {
    pair_job *j = vctx;
    Py_ssize_t s = k * j->block, len = j->n - s < j->block ? j->n - s : j->block;
    uint64_t fin = 0;
    double *part = AT(j->partial, double, k);
    if (j->f32)
        pair_f32[j->kind](AT(j->x, const float, s), AT(j->t, const float, s),
                 AT(j->w, const float, s), len, j->param, AT(j->loss, float, s),
                 AT(j->grad, float, s), j->gscale, part, j->block, &fin);
    else
        pair_f64[j->kind](AT(j->x, const double, s), AT(j->t, const double, s),
                 AT(j->w, const double, s), len, j->param, AT(j->loss, double, s),
                 AT(j->grad, double, s), j->gscale, part, j->block, &fin);
    if (fin) atomic_store(&j->bad, 1);
}

/* Test hooks: the elementary functions on a float64 or float32 buffer, out[i] = f(x[i]). */
#define DEFINE_UNARY(NAME, P, FN)                                                                 \
    LL_CLONES void NAME(const void *xv, void *outv, Py_ssize_t n) {                               \
        const P##_real *x = xv;                                                                   \
        P##_real *out = outv;                                                                     \
        Py_ssize_t i = 0;                                                                         \
        for (; i + P##_W <= n; i += P##_W) P##_store(out + i, FN(P##_load(x + i)));               \
        if (i < n) {                                                                              \
            P##_real tmp[P##_W] = {0};                                                            \
            memcpy(tmp, x + i, (size_t)(n - i) * sizeof(P##_real));                               \
            P##_t v = FN(P##_load(tmp));                                                          \
            for (Py_ssize_t j = 0; i + j < n; j++) out[i + j] = v[j];                             \
        }                                                                                         \
    }

DEFINE_UNARY(vexp_f64, D, v_exp)
DEFINE_UNARY(vlog1p_f64, D, v_log1p)
DEFINE_UNARY(vexp_f32, S, v_expf)
DEFINE_UNARY(vlog1p_f32, S, v_log1pf)
DEFINE_UNARY(vlog_f64, D, v_log_prob)
DEFINE_UNARY(vlog_f32, S, v_logf_prob)
