/*
 * losslab._kernels: fused single-pass kernels for the large-input paths of losslab.
 *
 * Every function here works on C-contiguous float64 or float32 buffers (the dtype is passed as a
 * flag), computes in double precision, releases the GIL, and never calls libm inside its loops:
 * exp and log1p are evaluated by the vectorizable routines below (errors below 1 ulp in double,
 * tested against mpmath in tests/test_kernels.py). The module is compiled with
 * -ffp-contract=off, so no multiply-add is fused and the result is the same on every x86-64
 * instruction set the function clones target (AVX-512, AVX2, baseline).
 *
 * The Python side (losslab/_fast.py) validates arguments, splits large inputs among threads on
 * fixed block boundaries and falls back to NumPy when this module is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The file is compiled twice (setup.py): as losslab._kernels with 256-bit vectors (VBYTES 32,
 * native on AVX2, the portable build) and as losslab._kernels512 with 512-bit vectors (VBYTES
 * 64), which losslab uses only on a CPU with AVX-512 (on AVX2, 512-bit generic vectors are
 * split through the stack, several times slower). */
#ifndef VBYTES
#define VBYTES 32
#endif
#if VBYTES == 64
#define MODULE_NAME "losslab._kernels512"
#define MODULE_INIT PyInit__kernels512
#define CLONE_TARGETS "avx512f", "default"
#define PREFERRED_HERE __builtin_cpu_supports("avx512f")
#else
#define MODULE_NAME "losslab._kernels"
#define MODULE_INIT PyInit__kernels
#define CLONE_TARGETS "avx2", "default"
#define PREFERRED_HERE 1
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LL_CLONES __attribute__((target_clones(CLONE_TARGETS)))
#define HAVE_CLONES 1
#else
#define LL_CLONES
#define HAVE_CLONES 0
#endif

#define LL_INLINE static inline __attribute__((always_inline))

#if !defined(__GNUC__)
#error "losslab._kernels needs GCC or Clang vector extensions; losslab falls back to NumPy"
#endif

/* ---------------------------------------------------------------------------------------------
 * W doubles per vector (GCC/Clang vector extensions): 4 in the 256-bit build, 8 in the 512-bit
 * one. Within a build the same lane-wise IEEE operations run on every instruction set its
 * clones target (no fused multiply-add: -ffp-contract=off), so results do not depend on them.
 * ------------------------------------------------------------------------------------------ */

#define W (VBYTES / 8)
typedef double vd __attribute__((vector_size(VBYTES)));
typedef int64_t vi __attribute__((vector_size(VBYTES)));
typedef uint64_t vu __attribute__((vector_size(VBYTES)));

typedef float vhf __attribute__((vector_size(VBYTES / 2))); /* W floats */

LL_INLINE vd splat(double a) {
    vd v;
    for (int i = 0; i < W; i++) v[i] = a;
    return v;
}
/* unaligned access to W doubles (may_alias: it reads and writes plain double arrays) */
typedef double vd_mem __attribute__((vector_size(VBYTES), aligned(8), may_alias));
LL_INLINE vd vload(const double *p) { return *(const vd_mem *)p; }
LL_INLINE void vstore(double *p, vd v) { *(vd_mem *)p = v; }
/* mask ? a : b, with mask lanes all ones or all zeros (a vector comparison) */
LL_INLINE vd sel(vi mask, vd a, vd b) { return (vd)(((vu)a & (vu)mask) | ((vu)b & ~(vu)mask)); }
LL_INLINE vd vabs(vd a) { return (vd)((vu)a & ~(vu)splat(-0.0)); }
LL_INLINE vd vmax(vd a, vd b) { return sel(a > b, a, b); }
LL_INLINE vd vmin(vd a, vd b) { return sel(a < b, a, b); }
/* vmin(a, b) for b > 0 and a = |.| (sign bit clear, NaN included): such doubles order as their
 * bits do as integers, and the integer form compiles to a comparison and one masked move */
LL_INLINE vd vmin_abs(vd a, vd b) {
    vi ia = (vi)a, ib = (vi)b, m = ia < ib;
    return (vd)((ia & m) | (ib & ~m));
}

/* exp(x) for any x (NaN propagates). Reduction x = k ln2 + r, |r| <= ln2/2 (Cody-Waite, ln2
 * split as in fdlibm), e^r = 1 + r + r^2 q(r) with q of degree 9 (below), 2^k built
 * from the exponent bits, in two steps for results near overflow or in the subnormal range. */
LL_INLINE vd exp_core(vd x, int nonpositive) {
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000: 32 bits */
    const double ln2_lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
    const vd shift = splat(6755399441055744.0);       /* 0x1.8p52 */
    x = sel(x < splat(-1100.0), splat(-1100.0), x);
    if (!nonpositive) x = sel(x > splat(1000.0), splat(1000.0), x);
    vd kd = x * splat(1.44269504088896338700e+00) + shift;
    vi k = (vi)((vu)kd - (vu)shift);
    kd -= shift;
    vd r = (x - kd * splat(ln2_hi)) - kd * splat(ln2_lo);
    /* (e^r - 1 - r) / r^2 on |r| <= ln2/2 + 1e-3: a near-minimax polynomial of degree 9
     * (mpmath.chebyfit; approximation error 1.1e-16, i.e. 1.3e-17 relative in e^r) */
    vd q = splat(2.510065503606659e-08);
    q = q * r + splat(2.762043894863442e-07);
    q = q * r + splat(2.755726789174553e-06);
    q = q * r + splat(2.480152055701783e-05);
    q = q * r + splat(0.0001984126986342035);
    q = q * r + splat(0.0013888888917690603);
    q = q * r + splat(0.008333333333329989);
    q = q * r + splat(0.04166666666662317);
    q = q * r + splat(0.16666666666666669);
    q = q * r + splat(0.5000000000000001);
    vd p = splat(1.0) + (r + (r * r) * q);
    vi small = x < splat(-700.0);
    if (nonpositive) {
        k += small & 600;
        vd scale = (vd)((vu)(k + 1023) << 52);
        return (p * scale) * sel(small, splat(0x1p-600), splat(1.0));
    }
    vi big = x > splat(700.0);
    k += (small & 600) | (big & -600);
    vd scale = (vd)((vu)(k + 1023) << 52);
    vd adjust = sel(small, splat(0x1p-600), sel(big, splat(0x1p600), splat(1.0)));
    return (p * scale) * adjust;
}

LL_INLINE vd v_exp(vd x) { return exp_core(x, 0); }
/* exp for x <= 0 (or NaN), as in softmax (x - max) and the logistic losses (-|x|): the
 * overflow side of the range reduction is left out */
LL_INLINE vd v_exp_nonpos(vd x) { return exp_core(x, 1); }

/* log(u) + c for positive normal u, with the exponent k of its reduction (u = 2^k m, m in
 * [sqrt(2)/2, sqrt(2))) raised by kadj: fdlibm's log, which log1p shares */
LL_INLINE vi log_k(vd u) {
    return (vi)((((vu)u >> 32) + (0x3ff00000 - 0x3fe6a09e)) >> 20) - 0x3ff;
}
LL_INLINE vd log_reduced(vd u, vi kadj, vd c) {
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    vu ui = (vu)u;
    vu hu = (((ui >> 32) + (0x3ff00000 - 0x3fe6a09e)) & 0x000fffff) + 0x3fe6a09e;
    vi k = log_k(u) + kadj;
    vd f = (vd)((hu << 32) | (ui & 0xffffffffULL)) - splat(1.0);
    vd hfsq = splat(0.5) * f * f;
    vd s = f / (splat(2.0) + f);
    vd z = s * s;
    vd w = z * z;
    vd t1 = w * (splat(3.999999999940941908e-01) +
                 w * (splat(2.222219843214978396e-01) + w * splat(1.531383769920937332e-01)));
    vd t2 = z * (splat(6.666666666666735130e-01) +
                 w * (splat(2.857142874366239149e-01) +
                      w * (splat(1.818357216161805012e-01) + w * splat(1.479819860511658591e-01))));
    vd R = t2 + t1;
    vd dk = (vd)((vu)k + 0x4338000000000000ULL) - splat(6755399441055744.0);
    return s * (hfsq + R) + (dk * splat(ln2_lo) + c) - hfsq + f + dk * splat(ln2_hi);
}

/* log1p(x) for finite x >= 0: fdlibm's log1p, with musl's branch-free form of the reduction.
 * unit: x <= 1 (then 1 + x < 2, so k is 0 or 1 and the two selections of c fold away). */
LL_INLINE vd log1p_core(vd x, int unit) {
    vd u = splat(1.0) + x;
    vi k = log_k(u);
    /* correction for the rounding of 1 + x: log(1 + x) ~ log(u) + c */
    vd c0 = x - (u - splat(1.0));
    vd c = unit ? c0 : sel(k >= 2, splat(1.0) - (u - x), c0);
    c = unit ? c / u : sel(k < 54, c / u, splat(0.0));
    return log_reduced(u, (vi)splat(0.0), c);
}

/* log(p) for 0 < p <= 1, as of a probability (p = 0 gives a finite value the caller replaces):
 * fdlibm's log, subnormal p scaled by 2^54 first */
LL_INLINE vd v_log_prob(vd p) {
    vi sub = p < splat(0x1p-1022);
    return log_reduced(sel(sub, p * splat(0x1p54), p), -(sub & 54), splat(0.0));
}

LL_INLINE vd v_log1p(vd x) { return log1p_core(x, 0); }
/* log1p(x) for 0 <= x <= 1, as of e^-|x| in the logistic losses */
LL_INLINE vd v_log1p_unit(vd x) { return log1p_core(x, 1); }

/* nonzero lanes where v is NaN or infinite (all exponent bits set) */
LL_INLINE vu nonfinite(vd v) { return (vu)((((vu)v >> 52) & 0x7ff) == 0x7ff); }

LL_INLINE uint64_t any_lane(vu v) {
    uint64_t any = 0;
    for (int j = 0; j < W; j++) any |= v[j];
    return any;
}

/* Kahan summation in 4 x 8 independent lanes (four chains hide the latency of one), added in
 * a fixed order at the end. An infinite term makes the compensation NaN; it is then dropped, so
 * the sum is inf as it should be. */
#define KL 4
typedef struct {
    vd s[KL], c[KL];
} kahan;

LL_INLINE void kahan_zero(kahan *a) {
    for (int q = 0; q < KL; q++) a->s[q] = a->c[q] = splat(0.0);
}

LL_INLINE void kahan_step(vd *s, vd *c, vd v) {
    vd y = v - *c;
    vd t = *s + y;
    vd cc = (t - *s) - y;
    *c = sel(cc == cc, cc, splat(0.0));
    *s = t;
}

/* add v[0..n), n a multiple of W */
LL_INLINE void kahan_add(kahan *a, const double *v, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (; i + KL * W <= n; i += KL * W)
        for (int q = 0; q < KL; q++) kahan_step(&a->s[q], &a->c[q], vload(v + i + q * W));
    for (int q = 0; i < n; i += W, q++) kahan_step(&a->s[q], &a->c[q], vload(v + i));
}

LL_INLINE double kahan_total(const kahan *a) {
    double s = 0.0, c = 0.0;
    for (int q = 0; q < KL; q++)
        for (int j = 0; j < W; j++) {
            s += a->s[q][j];
            c += a->c[q][j];
        }
    return s - c;
}

/* ---------------------------------------------------------------------------------------------
 * Eight floats per vector, with float versions of exp and log1p (within 1 ulp of float32).
 * ------------------------------------------------------------------------------------------ */

#define WS (VBYTES / 4)
typedef float vs __attribute__((vector_size(VBYTES)));
typedef int32_t vsi __attribute__((vector_size(VBYTES)));
typedef uint32_t vsu __attribute__((vector_size(VBYTES)));
typedef float vs_mem __attribute__((vector_size(VBYTES), aligned(4), may_alias));

LL_INLINE vs splats(float a) {
    vs v;
    for (int i = 0; i < WS; i++) v[i] = a;
    return v;
}
LL_INLINE vs sloads(const float *p) { return *(const vs_mem *)p; }
LL_INLINE void sstores(float *p, vs v) { *(vs_mem *)p = v; }
LL_INLINE vs sels(vsi mask, vs a, vs b) {
    return (vs)(((vsu)a & (vsu)mask) | ((vsu)b & ~(vsu)mask));
}
LL_INLINE vs sabs(vs a) { return (vs)((vsu)a & ~(vsu)splats(-0.0f)); }
LL_INLINE vs smax(vs a, vs b) { return sels(a > b, a, b); }
LL_INLINE vs smin(vs a, vs b) { return sels(a < b, a, b); }
LL_INLINE vs smin_abs(vs a, vs b) { /* as vmin_abs */
    vsi ia = (vsi)a, ib = (vsi)b, m = ia < ib;
    return (vs)((ia & m) | (ib & ~m));
}

/* expf: the same reduction with ln2 split for float (fdlibm's expf), e^r by Taylor to degree 7
 * (truncation < 6e-9, below half an ulp of float32), 2^k in two steps near the ends. */
LL_INLINE vs expf_core(vs x, int nonpositive) {
    const vs shift = splats(12582912.0f); /* 0x1.8p23 */
    x = sels(x < splats(-110.0f), splats(-110.0f), x);
    if (!nonpositive) x = sels(x > splats(100.0f), splats(100.0f), x);
    vs kd = x * splats(1.44269504089f) + shift;
    vsi k = (vsi)((vsu)kd - (vsu)shift);
    kd -= shift;
    vs r = (x - kd * splats(6.9314575195e-01f)) - kd * splats(1.4286067653e-06f);
    vs q = splats(1.0f / 5040.0f);
    q = q * r + splats(1.0f / 720.0f);
    q = q * r + splats(1.0f / 120.0f);
    q = q * r + splats(1.0f / 24.0f);
    q = q * r + splats(1.0f / 6.0f);
    q = q * r + splats(0.5f);
    vs p = splats(1.0f) + (r + (r * r) * q);
    vsi small = x < splats(-80.0f);
    if (nonpositive) {
        k += small & 64;
        vs scale = (vs)((vsu)(k + 127) << 23);
        return (p * scale) * sels(small, splats(0x1p-64f), splats(1.0f));
    }
    vsi big = x > splats(80.0f);
    k += (small & 64) | (big & -64);
    vs scale = (vs)((vsu)(k + 127) << 23);
    vs adjust = sels(small, splats(0x1p-64f), sels(big, splats(0x1p64f), splats(1.0f)));
    return (p * scale) * adjust;
}

LL_INLINE vs v_expf(vs x) { return expf_core(x, 0); }
LL_INLINE vs v_expf_nonpos(vs x) { return expf_core(x, 1); }

/* logf(u) + c for positive normal u, kadj as in log_reduced: fdlibm's logf */
LL_INLINE vsi logf_k(vs u) { return (vsi)(((vsu)u + (0x3f800000 - 0x3f3504f3)) >> 23) - 0x7f; }
LL_INLINE vs logf_reduced(vs u, vsi kadj, vs c) {
    vsu iu = (((vsu)u + (0x3f800000 - 0x3f3504f3)) & 0x007fffff) + 0x3f3504f3;
    vsi k = logf_k(u) + kadj;
    vs f = (vs)iu - splats(1.0f);
    vs s = f / (splats(2.0f) + f);
    vs z = s * s;
    vs w = z * z;
    vs t1 = w * (splats(0xccce13.0p-25f) + w * splats(0xf89e26.0p-26f));
    vs t2 = z * (splats(0xaaaaaa.0p-24f) + w * splats(0x91e9ee.0p-25f));
    vs R = t2 + t1;
    vs hfsq = splats(0.5f) * f * f;
    vs dk = __builtin_convertvector(k, vs);
    return s * (hfsq + R) + (dk * splats(9.0580006145e-06f) + c) - hfsq + f +
           dk * splats(6.9313812256e-01f);
}

/* log1pf for finite x >= 0: fdlibm's log1pf (musl's reduction and coefficients); unit as in
 * log1p_core. */
LL_INLINE vs log1pf_core(vs x, int unit) {
    vs u = splats(1.0f) + x;
    vsi k = logf_k(u);
    vs c0 = x - (u - splats(1.0f));
    vs c = unit ? c0 : sels(k >= 2, splats(1.0f) - (u - x), c0);
    c = unit ? c / u : sels(k < 25, c / u, splats(0.0f));
    return logf_reduced(u, (vsi)splats(0.0f), c);
}

/* logf(p) for 0 < p <= 1, as v_log_prob (subnormal p scaled by 2^25) */
LL_INLINE vs v_logf_prob(vs p) {
    vsi sub = p < splats(0x1p-126f);
    return logf_reduced(sels(sub, p * splats(0x1p25f), p), -(sub & 25), splats(0.0f));
}

LL_INLINE vs v_log1pf(vs x) { return log1pf_core(x, 0); }
LL_INLINE vs v_log1pf_unit(vs x) { return log1pf_core(x, 1); }

/* ---------------------------------------------------------------------------------------------
 * Element-wise losses of (input x, target t[, weight w]), written once for both lane sets:
 * D (W doubles, float64 buffers) and S (2W floats, float32 buffers). A float32 loss is evaluated
 * in float32, as in PyTorch and on the NumPy path; the block sums are kept in double.
 * ------------------------------------------------------------------------------------------ */

#define D_t vd
#define D_mask vi
#define D_real double
#define D_W W
#define D_splat splat
#define D_sel sel
#define D_abs vabs
#define D_min vmin
#define D_min_abs vmin_abs
#define D_max vmax
#define D_exp v_exp_nonpos /* every use takes x <= 0 */
#define D_log1p v_log1p_unit /* every use takes 0 <= x <= 1 */
#define D_logp v_log_prob /* every use takes 0 <= x <= 1 */
#define D_load vload
#define D_store vstore
#define S_t vs
#define S_mask vsi
#define S_real float
#define S_W WS
#define S_splat splats
#define S_sel sels
#define S_abs sabs
#define S_min smin
#define S_min_abs smin_abs
#define S_max smax
#define S_exp v_expf_nonpos /* every use takes x <= 0 */
#define S_log1p v_log1pf_unit /* every use takes 0 <= x <= 1 */
#define S_logp v_logf_prob /* every use takes 0 <= x <= 1 */
#define S_load sloads
#define S_store sstores

/* The losses of a chunk go into the block's sums in the lanes kahan_add would use for them
 * stored in order (vector q of every group of KL double vectors into sum q): float64 losses
 * with compensation (P##_acc, vector u of a group of P##_G); a vector u of float32 losses is
 * converted to double as one vector of twice the width (GCC lowers that to one vcvtps2pd per
 * half, where a half-width float vector to double is split in two), its halves summed without
 * compensation (32 lanes of at most 1 Ki terms) into sums 2u and 2u + 1. */
#define D_G KL
#define S_G (KL / 2)
typedef double vd2 __attribute__((vector_size(2 * VBYTES))); /* WS doubles */
#if VBYTES == 64
#define VD2_LO(c) __builtin_shufflevector(c, c, 0, 1, 2, 3, 4, 5, 6, 7)
#define VD2_HI(c) __builtin_shufflevector(c, c, 8, 9, 10, 11, 12, 13, 14, 15)
#else
#define VD2_LO(c) __builtin_shufflevector(c, c, 0, 1, 2, 3)
#define VD2_HI(c) __builtin_shufflevector(c, c, 4, 5, 6, 7)
#endif
LL_INLINE void D_acc(kahan *a, vd l, int u) { kahan_step(&a->s[u], &a->c[u], l); }
LL_INLINE void S_acc(kahan *a, vs l, int u) {
    vd2 c = __builtin_convertvector(l, vd2);
    a->s[2 * u] += VD2_LO(c);
    a->s[2 * u + 1] += VD2_HI(c);
}

enum {
    K_MSE = 0,
    K_L1 = 1,
    K_HUBER = 2,
    K_SMOOTH_L1 = 3,
    K_BCE_LOGITS = 4,
    K_SOFT_MARGIN = 5,
    K_KL_DIV = 6,
    K_KL_DIV_LOG = 7
};
#define CHUNK 512 /* elements per pass of the specialised loops; a multiple of KL vectors */

/* Loss l and derivative g of one vector of (x, t). `pv` is delta (Huber) or beta (smooth L1) in
 * every lane, `inv` its reciprocal (smooth L1).
 * For MSE, L1, Huber and smooth L1 a NaN or infinite x, t or weight always makes the (weighted)
 * loss NaN or infinite, so the callers test only the loss there (the two logistic losses can be
 * finite at x = inf: their inputs are tested too, and so is the target's range: [0, 1] for BCE
 * with logits, -1 or 1 for soft margin); Python then checks the inputs, since a finite input
 * whose loss overflows is no error.
 * The derivative omits constant factors (2 for MSE, 1/beta, the sign of soft margin), which the
 * caller folds into its gradient scale. */
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
            /* a = |d|, q = min(a, delta): loss q (a - q/2), derivative copysign(q, d); smooth \
             * L1 is Huber with delta = beta, times 1/beta (the caller sends only a beta whose \
             * reciprocal is finite) */                                                           \
            P##_t a = P##_abs(d);                                                                 \
            P##_t q = P##_min_abs(a, pv);                                                          \
            P##_t h = q * (a - P##_splat(0.5) * q);                                               \
            *l = kind == K_SMOOTH_L1 ? h * inv : h;                                               \
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
            _Pragma("GCC unroll 4") /* constant u: the sums stay in registers */                 \
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
        }                                                                                         \
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

#define DEFINE_PAIR(NAME, P)                                                                      \
    DEFINE_PAIR_KIND(NAME##_mse, P, K_MSE)                                                        \
    DEFINE_PAIR_KIND(NAME##_l1, P, K_L1)                                                          \
    DEFINE_PAIR_KIND(NAME##_huber, P, K_HUBER)                                                    \
    DEFINE_PAIR_KIND(NAME##_smooth_l1, P, K_SMOOTH_L1)                                            \
    DEFINE_PAIR_KIND(NAME##_bce_logits, P, K_BCE_LOGITS)                                          \
    DEFINE_PAIR_KIND(NAME##_soft_margin, P, K_SOFT_MARGIN)                                        \
    DEFINE_PAIR_KIND(NAME##_kl_div, P, K_KL_DIV)                                                  \
    DEFINE_PAIR_KIND(NAME##_kl_div_log, P, K_KL_DIV_LOG)                                          \
    static void NAME(int kind, const P##_real *x, const P##_real *t, const P##_real *w,          \
                     Py_ssize_t n, double dparam, P##_real *lossout, P##_real *gout,              \
                     double gscale, double *partial, Py_ssize_t block, uint64_t *fin) {           \
        void (*const fns[])(const P##_real *, const P##_real *, const P##_real *, Py_ssize_t,     \
                            double, P##_real *, P##_real *, double, double *, Py_ssize_t,         \
                            uint64_t *) = {NAME##_mse,        NAME##_l1,         NAME##_huber,    \
                                           NAME##_smooth_l1,  NAME##_bce_logits,                  \
                                           NAME##_soft_margin, NAME##_kl_div,                     \
                                           NAME##_kl_div_log};                                    \
        fns[kind](x, t, w, n, dparam, lossout, gout, gscale, partial, block, fin);                \
    }

DEFINE_PAIR(pair_f64, D)
DEFINE_PAIR(pair_f32, S)

/* ---------------------------------------------------------------------------------------------
 * Softmax cross-entropy of rows with integer labels.
 * ------------------------------------------------------------------------------------------ */

#define ROWCHUNK 4096 /* elements of scratch per pass (at least one row) */

/* rows per pass of the softmax kernel: ROWCHUNK elements' worth, at least one row */
static inline Py_ssize_t chunk_rows(Py_ssize_t c) { return c >= ROWCHUNK ? 1 : ROWCHUNK / c; }

/* Sum of a row of non-negative terms: four running sums for a narrow row, compensated sums in
 * 32 lanes for a wide one (its error then does not grow with the number of classes). */
LL_INLINE double row_sum(const double *e, Py_ssize_t c) {
    if (c < 4 * W) {
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        Py_ssize_t j = 0;
        for (; j + 4 <= c; j += 4) {
            s0 += e[j];
            s1 += e[j + 1];
            s2 += e[j + 2];
            s3 += e[j + 3];
        }
        for (; j < c; j++) s0 += e[j];
        return (s0 + s1) + (s2 + s3);
    }
    kahan acc;
    kahan_zero(&acc);
    Py_ssize_t full = c / W * W;
    kahan_add(&acc, e, full);
    double tail[W] = {0};
    for (Py_ssize_t j = full; j < c; j++) tail[j - full] = e[j];
    kahan_step(&acc.s[0], &acc.c[0], vload(tail));
    return kahan_total(&acc);
}

/* W rows of at most SMALLC classes at once, one row per lane (the narrow rows of a
 * classifier, e.g. C = 10): the same arithmetic as the row-by-row path below, with the rows'
 * entries gathered into vectors so that max, sums, exp, log1p and the gradient all run across
 * the W rows. Returns their W (weighted) losses, each rounded to T. */
#define SMALLC 16
#define DEFINE_SOFTMAX_GROUP(NAME, T)                                                             \
    LL_INLINE vd NAME(const T *xg, Py_ssize_t c, const int64_t *yg, const T *fg, double scale,   \
                      T *lossg, T *gradg, vu *bad) {                                              \
        vd z[SMALLC];                                                                             \
        for (Py_ssize_t j = 0; j < c; j++)                                                        \
            for (int i = 0; i < W; i++) z[j][i] = xg[i * c + j];                                  \
        vd mx = z[0];                                                                             \
        for (Py_ssize_t j = 1; j < c; j++) mx = vmax(z[j], mx); /* NaN propagates */            \
        vi yv;                                                                                    \
        for (int i = 0; i < W; i++) yv[i] = yg[i];                                                \
        const vd zero = splat(0.0);                                                               \
        vd zy = zero, ey = zero;                                                                  \
        for (Py_ssize_t j = 0; j < c; j++) {                                                      \
            vi mj = yv == j;                                                                      \
            vd zj = z[j] - mx;                                                                    \
            *bad |= nonfinite(zj); /* a NaN/inf input gives a NaN/inf z */                        \
            zy = sel(mj, zj, zy);                                                                 \
            vd ej = v_exp_nonpos(zj);                                                                    \
            ey = sel(mj, ej, ey);                                                                 \
            z[j] = sel(mj, zero, ej); /* the target's term is left out of the row sum */          \
        }                                                                                         \
        /* row_sum's order, bit for bit: four running sums, the tail into the first */           \
        vd s0 = zero, s1 = zero, s2 = zero, s3 = zero;                                            \
        Py_ssize_t j = 0;                                                                         \
        for (; j + 4 <= c; j += 4) {                                                              \
            s0 += z[j];                                                                           \
            s1 += z[j + 1];                                                                       \
            s2 += z[j + 2];                                                                       \
            s3 += z[j + 3];                                                                       \
        }                                                                                         \
        for (; j < c; j++) s0 += z[j];                                                            \
        vd rest = (s0 + s1) + (s2 + s3);                                                          \
        vd ssum = rest + ey;                                                                      \
        vi near = zy > splat(-1.0);                                                               \
        vd arg = sel(near, rest / ey, ssum - splat(1.0));                                         \
        vd nll = v_log1p(arg) - sel(near, zero, zy);                                              \
        vd f = splat(1.0);                                                                        \
        if (fg)                                                                                   \
            for (int i = 0; i < W; i++) f[i] = fg[i];                                             \
        vd l = fg ? sel(f == zero, zero, f * nll) : nll; /* weight 0: 0, even if nll is inf */   \
        if (sizeof(T) == 4) /* round to float32 first: the sum adds what 'none' returns */      \
            l = __builtin_convertvector(__builtin_convertvector(l, vhf), vd);                     \
        if (lossg)                                                                                \
            for (int i = 0; i < W; i++) lossg[i] = (T)l[i];                                       \
        if (gradg) {                                                                              \
            vd inv = splat(scale) / ssum;                                                         \
            vd coef = fg ? inv * f : inv;                                                         \
            vd tgt = fg ? inv * (-(f * rest)) : -(inv * rest);                                    \
            for (Py_ssize_t j = 0; j < c; j++) {                                                  \
                vd gj = sel(yv == j, tgt, z[j] * coef); /* z[j] = e_j off the target */          \
                for (int i = 0; i < W; i++) gradg[i * c + j] = (T)gj[i];                          \
            }                                                                                     \
        }                                                                                         \
        return l;                                                                                 \
    }

DEFINE_SOFTMAX_GROUP(softmax_group_f64, double)
DEFINE_SOFTMAX_GROUP(softmax_group_f32, float)

/* For each row i of x (m rows of c): z = x - max, e = exp(z), rest = sum of e_j over j != y_i,
 * nll = log1p(rest / e_y) when z_y > -1 (a confident row keeps full accuracy), else
 * log(sum) - z_y = log1p(sum - 1) - z_y (sum >= 1, so sum - 1 is exact); loss_i = f_i nll;
 * grad_i = scale f_i (softmax_i - onehot_i), with the target entry written as
 * -scale f_i rest / sum. f = NULL means f_i = 1. Outputs (each optional but one): loss (per
 * row), grad, partial (per block of `block` rows: the compensated sum of the row losses, each
 * rounded to T first). *fin is set when some z is NaN/inf: a NaN/inf input, or logits more than
 * the double range apart (Python tells the two apart). Scratch: e (rows*c + W), row (5*rpad). */
#define DEFINE_SOFTMAX_CE(NAME, T, GROUP)                                                         \
    LL_CLONES static void NAME(const T *x, Py_ssize_t m, Py_ssize_t c, const int64_t *y,         \
                               const T *fw, double scale, T *loss, T *grad, double *partial,      \
                               Py_ssize_t block, double *e, double *row, uint64_t *fin) {         \
        Py_ssize_t rows = chunk_rows(c);                                                          \
        Py_ssize_t rpad = (rows + W - 1) / W * W;                                                 \
        double *arg = row, *ssum = row + rpad, *zy = row + 2 * rpad, *rest = row + 3 * rpad;      \
        double *lrow = row + 4 * rpad;                                                            \
        vu bad = (vu)splat(0.0);                                                                  \
        for (Py_ssize_t b0 = 0, k = 0; b0 < m; b0 += block, k++) {                                \
            Py_ssize_t b1 = b0 + block < m ? b0 + block : m;                                      \
            kahan acc;                                                                            \
            kahan_zero(&acc);                                                                     \
            Py_ssize_t g1 = b0; /* rows before g1 go W at a time */                              \
            if (c <= SMALLC)                                                                      \
                for (; g1 + W <= b1; g1 += W) {                                                   \
                    vd lv = GROUP(x + g1 * c, c, y + g1, fw ? fw + g1 : NULL, scale,              \
                                  loss ? loss + g1 : NULL, grad ? grad + g1 * c : NULL, &bad);    \
                    if (partial) kahan_step(&acc.s[0], &acc.c[0], lv);                            \
                }                                                                                 \
            for (Py_ssize_t r0 = g1; r0 < b1; r0 += rows) {                                       \
                Py_ssize_t nr = b1 - r0 < rows ? b1 - r0 : rows;                                  \
                Py_ssize_t ne = nr * c, nev = (ne + W - 1) / W * W;                               \
                const T *xr = x + r0 * c;                                                         \
                for (Py_ssize_t i = 0; i < nr; i++) {                                             \
                    const T *xi = xr + i * c;                                                     \
                    double *ei = e + i * c;                                                       \
                    double m0 = (double)xi[0], m1 = m0;                                           \
                    Py_ssize_t j = 1;                                                             \
                    for (; j + 2 <= c; j += 2) {                                                  \
                        double a0 = (double)xi[j], a1 = (double)xi[j + 1];                        \
                        m0 = a0 > m0 ? a0 : m0;                                                   \
                        m1 = a1 > m1 ? a1 : m1;                                                   \
                    }                                                                             \
                    if (j < c) m0 = (double)xi[j] > m0 ? (double)xi[j] : m0;                      \
                    double mx = m0 > m1 ? m0 : m1;                                                \
                    for (j = 0; j < c; j++) ei[j] = (double)xi[j] - mx;                           \
                    zy[i] = ei[y[r0 + i]];                                                        \
                }                                                                                 \
                for (Py_ssize_t j = ne; j < nev; j++) e[j] = 0.0;                                 \
                for (Py_ssize_t j = 0; j < nev; j += W) {                                         \
                    vd z = vload(e + j);                                                          \
                    bad |= nonfinite(z); /* a NaN/inf input gives a NaN/inf z */                  \
                    vstore(e + j, v_exp_nonpos(z));                                                      \
                }                                                                                 \
                for (Py_ssize_t i = 0; i < nr; i++) {                                             \
                    double *ei = e + i * c;                                                       \
                    int64_t yi = y[r0 + i];                                                       \
                    double ey = ei[yi];                                                           \
                    ei[yi] = 0.0;                                                                 \
                    double rs = row_sum(ei, c);                                                   \
                    double sm = rs + ey;                                                          \
                    int near = zy[i] > -1.0;                                                      \
                    arg[i] = near ? rs / ey : sm - 1.0;                                           \
                    ssum[i] = sm;                                                                 \
                    rest[i] = rs;                                                                 \
                    zy[i] = near ? 0.0 : zy[i];                                                   \
                }                                                                                 \
                Py_ssize_t nrv = (nr + W - 1) / W * W;                                            \
                for (Py_ssize_t i = nr; i < nrv; i++) arg[i] = zy[i] = 0.0;                       \
                for (Py_ssize_t i = 0; i < nrv; i += W)                                           \
                    vstore(lrow + i, v_log1p(vload(arg + i)) - vload(zy + i));                    \
                for (Py_ssize_t i = 0; i < nr; i++)                                               \
                    lrow[i] = (double)(T)(!fw ? lrow[i] : fw[r0 + i] == 0 ? 0.0 /* even if inf */ \
                                                               : (double)fw[r0 + i] * lrow[i]);   \
                for (Py_ssize_t i = nr; i < nrv; i++) lrow[i] = 0.0;                              \
                if (loss)                                                                         \
                    for (Py_ssize_t i = 0; i < nr; i++) loss[r0 + i] = (T)lrow[i];                \
                if (partial) kahan_add(&acc, lrow, nrv);                                          \
                if (grad) {                                                                       \
                    for (Py_ssize_t i = 0; i < nr; i++) {                                         \
                        double fi = fw ? (double)fw[r0 + i] : 1.0;                                \
                        double inv = scale / ssum[i];                                             \
                        double coef = fw ? inv * fi : inv;                                        \
                        const double *ei = e + i * c;                                             \
                        T *gi = grad + (r0 + i) * c;                                              \
                        for (Py_ssize_t j = 0; j < c; j++) gi[j] = (T)(ei[j] * coef);             \
                        gi[y[r0 + i]] = (T)(fw ? inv * (-(fi * rest[i])) : -(inv * rest[i]));     \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
            if (partial) partial[k] = kahan_total(&acc);                                          \
        }                                                                                         \
        *fin = any_lane(bad);                                                                     \
    }

DEFINE_SOFTMAX_CE(softmax_ce_f64, double, softmax_group_f64)
DEFINE_SOFTMAX_CE(softmax_ce_f32, float, softmax_group_f32)

/* ---------------------------------------------------------------------------------------------
 * Negative log-likelihood: gather the label entries; the gradient is -scale f_i at the label.
 * DEFINE_NLL serves the rows with weights f or a keep mask; the unweighted rows stream through
 * DEFINE_NLL_STREAM and DEFINE_NLL_GRAD (below), which give the same bits.
 * Returns the first row whose label entry is not finite (rows with f_i = 0 and keep_i = 0, the
 * ignored ones, are skipped), or -1.
 * ------------------------------------------------------------------------------------------ */

/* The first of the labels y[0..n) outside [0, c) and not equal to `ignore` (has_ignore), or -1 */
static Py_ssize_t first_bad_label(const int64_t *y, Py_ssize_t n, int64_t c, int has_ignore,
                                  int64_t ignore) {
    for (Py_ssize_t i = 0; i < n; i++)
        if ((uint64_t)y[i] >= (uint64_t)c && !(has_ignore && y[i] == ignore)) return i;
    return -1;
}

#define NLLCHUNK 512 /* rows per pass: their losses are summed from an L1-resident buffer */

/* The gradient of nll over m rows: -scale f_i at row i's label (f_i = fw[i], or 1 without fw),
 * 0 elsewhere; a row whose label is `ignore` (has_ignore; then fw is NULL) has weight 0 and
 * gets the -0 of -(0 scale) at column 0, as a row of weight 0 and label 0 does. */
#define DEFINE_NLL_GRAD(NAME, T)                                                                  \
    static void NAME(T *grad, Py_ssize_t m, Py_ssize_t c, const int64_t *y, const T *fw,          \
                     int has_ignore, int64_t ignore, double scale) {                              \
        memset(grad, 0, (size_t)(m * c) * sizeof(T));                                             \
        for (Py_ssize_t i = 0; i < m; i++) {                                                      \
            int ign = has_ignore && y[i] == ignore;                                               \
            double fi = fw ? (double)fw[i] : (ign ? 0.0 : 1.0);                                   \
            grad[i * c + (ign ? 0 : y[i])] = (T)(-(fi * scale));                                  \
        }                                                                                         \
    }

DEFINE_NLL_GRAD(nll_grad_f64, double)
DEFINE_NLL_GRAD(nll_grad_f32, float)

/* loss (optional): per-row losses; partial (optional): per block of `block` rows, the
 * compensated sum of the losses (each rounded to T first, as reduction='none' returns them). */
#define DEFINE_NLL(NAME, T, GRAD)                                                                 \
    LL_CLONES static Py_ssize_t NAME(const T *x, Py_ssize_t m, Py_ssize_t c, const int64_t *y,   \
                                     const T *fw, const T *keep, double scale, T *loss, T *grad,  \
                                     double *partial, Py_ssize_t block) {                         \
        Py_ssize_t first_bad = -1;                                                                \
        double lb[NLLCHUNK + W] __attribute__((aligned(64)));                                    \
        for (Py_ssize_t b0 = 0, k = 0; b0 < m; b0 += block, k++) {                                \
            Py_ssize_t b1 = b0 + block < m ? b0 + block : m;                                      \
            kahan acc;                                                                            \
            kahan_zero(&acc);                                                                     \
            for (Py_ssize_t r0 = b0; r0 < b1; r0 += NLLCHUNK) {                                   \
                Py_ssize_t nr = b1 - r0 < NLLCHUNK ? b1 - r0 : NLLCHUNK;                          \
                uint64_t chunk_bad = 0; /* branch-free: the loads of many rows overlap */         \
                for (Py_ssize_t j = 0; j < nr; j++) {                                             \
                    Py_ssize_t i = r0 + j;                                                        \
                    double v = (double)x[i * c + y[i]];                                           \
                    int counted = keep ? keep[i] != 0 : 1;                                        \
                    uint64_t bits;                                                                \
                    memcpy(&bits, &v, sizeof bits);                                               \
                    chunk_bad |= (uint64_t)counted & (((bits >> 52) & 0x7ff) == 0x7ff);           \
                    double fi = fw ? (double)fw[i] : 1.0;                                         \
                    lb[j] = (double)(T)(counted ? -(fi * v) : 0.0);                               \
                }                                                                                 \
                if (chunk_bad && first_bad < 0) /* find the first one */                          \
                    for (Py_ssize_t i = r0; i < r0 + nr && first_bad < 0; i++) {                  \
                        double v = (double)x[i * c + y[i]];                                       \
                        if ((keep ? keep[i] != 0 : 1) && !(v * 0.0 == 0.0)) first_bad = i;       \
                    }                                                                             \
                if (loss)                                                                         \
                    for (Py_ssize_t j = 0; j < nr; j++) loss[r0 + j] = (T)lb[j];                  \
                if (partial) {                                                                    \
                    Py_ssize_t nrv = (nr + W - 1) / W * W;                                        \
                    for (Py_ssize_t j = nr; j < nrv; j++) lb[j] = 0.0;                            \
                    kahan_add(&acc, lb, nrv);                                                     \
                }                                                                                 \
            }                                                                                     \
            if (partial) partial[k] = kahan_total(&acc);                                          \
        }                                                                                         \
        if (grad) GRAD(grad, m, c, y, fw, 0, 0, scale);                                           \
        return first_bad;                                                                         \
    }

DEFINE_NLL(nll_f64, double, nll_grad_f64)
DEFINE_NLL(nll_f32, float, nll_grad_f32)

/* The forward pass of an unweighted nll over one block of m rows, in a single stream: each
 * row's label is checked (in [0, c), or equal to `ignore` when has_ignore: the row then adds 0)
 * and its entry gathered, W rows to a vector that goes straight into the block's compensated
 * sums. It gives the bits of the two passes above (rows_labels, then DEFINE_NLL with keep for
 * the ignored rows): the same values in the same lanes of the same sums, padding +0. Reading the
 * labels while the input streams in keeps the memory busy, where a separate pass over them
 * stalls it. Returns the first row whose label is bad (*bad_label) or whose entry is NaN or
 * infinite (the return value), or -1; *nign: the ignored rows. */
#define DEFINE_NLL_STREAM(NAME, T)                                                                \
    LL_INLINE vd NAME##_vec(const T *x, Py_ssize_t c, const int64_t *y, Py_ssize_t i0,           \
                            Py_ssize_t n, int has_ignore, int64_t ignore, vi *out, vi *nign) {   \
        vi yv, row, valid; /* lanes past n: label 0 of row i0, not counted */                     \
        for (int l = 0; l < W; l++) {                                                             \
            yv[l] = l < n ? y[i0 + l] : 0;                                                        \
            row[l] = i0 + (l < n ? l : 0);                                                        \
            valid[l] = l < n ? -1 : 0;                                                            \
        }                                                                                         \
        vi ign = has_ignore ? valid & (yv == ignore) : yv & 0;                                    \
        vi ok = (vu)yv < (uint64_t)c;                                                             \
        *out |= valid & ~ign & ~ok;                                                               \
        *nign -= ign;                                                                             \
        vi idx = row * c + (yv & ok); /* a bad label reads entry 0 of its row */                  \
        vd v;                                                                                     \
        for (int l = 0; l < W; l++) v[l] = (double)x[idx[l]];                                     \
        return sel(valid & ~ign, -v, splat(0.0));                                                 \
    }                                                                                             \
    LL_CLONES static Py_ssize_t NAME(const T *x, Py_ssize_t m, Py_ssize_t c, const int64_t *y,   \
                                     int has_ignore, int64_t ignore, T *loss, double *partial,   \
                                     Py_ssize_t *bad_label, Py_ssize_t *nign_out) {              \
        kahan acc;                                                                                \
        kahan_zero(&acc);                                                                         \
        vi out = (vi)splat(0.0), nignv = (vi)splat(0.0);                                          \
        vu badv = (vu)splat(0.0);                                                                 \
        Py_ssize_t i = 0;                                                                         \
        for (; i + KL * W <= m; i += KL * W)                                                      \
            _Pragma("GCC unroll 4") for (int q = 0; q < KL; q++) {                                \
                vd v = NAME##_vec(x, c, y, i + q * W, W, has_ignore, ignore, &out, &nignv);       \
                badv |= nonfinite(v);                                                             \
                if (loss)                                                                         \
                    for (int l = 0; l < W; l++) loss[i + q * W + l] = (T)v[l];                    \
                kahan_step(&acc.s[q], &acc.c[q], v);                                              \
            }                                                                                     \
        for (int q = 0; i < m; i += W, q++) {                                                     \
            Py_ssize_t n = m - i < W ? m - i : W;                                                 \
            vd v = NAME##_vec(x, c, y, i, n, has_ignore, ignore, &out, &nignv);                   \
            badv |= nonfinite(v);                                                                 \
            if (loss)                                                                             \
                for (Py_ssize_t l = 0; l < n; l++) loss[i + l] = (T)v[l];                         \
            kahan_step(&acc.s[q], &acc.c[q], v);                                                  \
        }                                                                                         \
        int64_t nign = 0;                                                                         \
        for (int l = 0; l < W; l++) nign += nignv[l];                                             \
        *nign_out = (Py_ssize_t)nign;                                                             \
        *bad_label = any_lane((vu)out) ? first_bad_label(y, m, c, has_ignore, ignore) : -1;       \
        if (*bad_label >= 0) return -1;                                                           \
        if (partial) *partial = kahan_total(&acc);                                                \
        if (any_lane(badv))                                                                       \
            for (Py_ssize_t r = 0; r < m; r++) {                                                  \
                double e = (double)x[r * c + y[r]];                                               \
                if (!(has_ignore && y[r] == ignore) && !(e * 0.0 == 0.0)) return r;               \
            }                                                                                     \
        return -1;                                                                                \
    }

DEFINE_NLL_STREAM(nll_stream_f64, double)
DEFINE_NLL_STREAM(nll_stream_f32, float)

/* ---------------------------------------------------------------------------------------------
 * A small thread pool for the kernels. A job is `ntasks` independent tasks (one block of the
 * input each); the calling thread and up to nthreads - 1 pool workers take the next unclaimed
 * run of tasks until none is left, so a worker the OS wakes late costs nothing (the caller does
 * the work) and the caller waits only for runs already started. Every block is computed whole by
 * one thread into its own slots, so results do not depend on the thread count.
 *
 * Idle workers poll for the next job for SPIN_NS, then sleep on a condition variable. One job
 * runs at a time: a second caller (another Python thread) runs its tasks alone. The workers are
 * plain pthreads that never touch Python objects; they are created on first use and made anew
 * in a forked child.
 * ------------------------------------------------------------------------------------------ */

typedef void (*task_fn)(void *ctx, Py_ssize_t task, int who);

#define MAXTHREADS 64
#define SPIN_NS 50000
/* A thread takes runs of about ntasks / (CLAIMS_PER_THREAD * nthreads) consecutive blocks, not
 * single blocks: the threads then work on distant parts of the arrays (no cache lines or pages
 * shared at every block's seam) and touch the shared counter less often, while a worker that
 * wakes late still finds most runs left to take. */
#define CLAIMS_PER_THREAD 4

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

static struct {
    pthread_mutex_t submit; /* held by the caller of the running job */
    pthread_mutex_t mu;     /* with cv: sleeping workers */
    pthread_cond_t cv;
    atomic_uint gen;     /* even: the job of this number is published; odd: being written */
    atomic_int inside;   /* workers between joining a job and leaving it */
    atomic_int sleepers; /* workers waiting on cv */
    int nworkers;        /* workers started (ids 1..nworkers) */
    pid_t pid;           /* the process they were started in */
    /* the job; written only while gen is odd and no worker is inside */
    task_fn fn;
    void *ctx;
    Py_ssize_t ntasks, per, nclaims; /* tasks are taken `per` at a time: nclaims runs */
    int participants; /* the caller (id 0) and workers 1 .. participants - 1 */
    atomic_llong next, done;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static atomic_llong worker_tasks; /* tasks run by pool workers so far (a test hook reads it) */

/* take runs of `per` consecutive tasks until none is left */
static void claim_tasks(int who) {
    for (;;) {
        long long k = atomic_fetch_add(&pool.next, 1);
        if (k >= pool.nclaims) return;
        Py_ssize_t t0 = (Py_ssize_t)k * pool.per;
        Py_ssize_t t1 = t0 + pool.per < pool.ntasks ? t0 + pool.per : pool.ntasks;
        for (Py_ssize_t t = t0; t < t1; t++) pool.fn(pool.ctx, t, who);
        if (who) atomic_fetch_add(&worker_tasks, t1 - t0);
        atomic_fetch_add(&pool.done, 1);
    }
}

/* the number of the next published job after `seen` (polls, then sleeps) */
static unsigned wait_for_job(unsigned seen) {
    unsigned g;
    long long start = 0;
    for (int spins = 0; (g = atomic_load(&pool.gen)) == seen || (g & 1u); spins++) {
        CPU_RELAX();
        if ((spins & 255) != 255) continue;
        if (!start)
            start = now_ns();
        else if (now_ns() - start > SPIN_NS) {
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((g = atomic_load(&pool.gen)) == seen || (g & 1u))
                pthread_cond_wait(&pool.cv, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
            return g;
        }
    }
    return g;
}

static void *worker_main(void *arg) {
    int id = (int)(intptr_t)arg;
    unsigned seen = 1u; /* odd: no job number; the first even one is joined */
    for (;;) {
        unsigned g = wait_for_job(seen);
        seen = g;
        atomic_fetch_add(&pool.inside, 1);
        /* still this job (not being replaced)? then its fields are the published ones */
        if (atomic_load(&pool.gen) == g && id < pool.participants) claim_tasks(id);
        atomic_fetch_sub(&pool.inside, 1);
    }
    return NULL;
}

/* Run fn(ctx, k, who) for k in [0, ntasks) on up to nthreads threads; who in [0, nthreads)
 * tells a task which thread's scratch to use. Called without the GIL. */
static void run_tasks(task_fn fn, void *ctx, Py_ssize_t ntasks, int nthreads) {
    if (nthreads > ntasks) nthreads = (int)ntasks;
    if (nthreads > MAXTHREADS) nthreads = MAXTHREADS;
    if (nthreads <= 1 || pthread_mutex_trylock(&pool.submit) != 0) {
        for (Py_ssize_t k = 0; k < ntasks; k++) fn(ctx, k, 0);
        return;
    }
    if (pool.pid != getpid()) { /* first use, or a forked child: its workers are gone */
        pthread_mutex_init(&pool.mu, NULL);
        pthread_cond_init(&pool.cv, NULL);
        atomic_store(&pool.gen, 0u);
        atomic_store(&pool.inside, 0);
        atomic_store(&pool.sleepers, 0);
        pool.nworkers = 0;
        pool.pid = getpid();
    }
    while (pool.nworkers < nthreads - 1) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&th, &attr, worker_main, (void *)(intptr_t)(pool.nworkers + 1));
        pthread_attr_destroy(&attr);
        if (err) break; /* fewer helpers, same results */
        pool.nworkers++;
    }
    if (nthreads > pool.nworkers + 1) nthreads = pool.nworkers + 1;
    unsigned g = atomic_load(&pool.gen);
    atomic_store(&pool.gen, g + 1u); /* odd: late workers leave the old job alone */
    while (atomic_load(&pool.inside)) CPU_RELAX();
    pool.fn = fn;
    pool.ctx = ctx;
    pool.ntasks = ntasks;
    Py_ssize_t per = ntasks / (CLAIMS_PER_THREAD * nthreads);
    pool.per = per > 1 ? per : 1;
    pool.nclaims = (ntasks + pool.per - 1) / pool.per;
    pool.participants = nthreads;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.done, 0);
    atomic_store(&pool.gen, g + 2u);
    if (atomic_load(&pool.sleepers)) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    claim_tasks(0);
    while (atomic_load(&pool.done) < pool.nclaims) CPU_RELAX();
    pthread_mutex_unlock(&pool.submit);
}

/* p + s for a buffer that may be absent */
#define AT(p, T, s) ((p) ? (T *)(p) + (s) : NULL)

/* the lowest of the values stored (init -1 meaning none) */
static void atomic_min_row(atomic_llong *a, long long v) {
    long long cur = atomic_load(a);
    while ((cur < 0 || v < cur) && !atomic_compare_exchange_weak(a, &cur, v)) {
    }
}

typedef struct {
    int kind, f32;
    const void *x, *t, *w;
    Py_ssize_t n, block;
    double param, gscale;
    void *loss, *grad;
    double *partial;
    atomic_int bad;
} pair_job;

static void pair_task(void *vctx, Py_ssize_t k, int who) {
    pair_job *j = vctx;
    Py_ssize_t s = k * j->block, len = j->n - s < j->block ? j->n - s : j->block;
    uint64_t fin = 0;
    double *part = AT(j->partial, double, k);
    if (j->f32)
        pair_f32(j->kind, AT(j->x, const float, s), AT(j->t, const float, s),
                 AT(j->w, const float, s), len, j->param, AT(j->loss, float, s),
                 AT(j->grad, float, s), j->gscale, part, j->block, &fin);
    else
        pair_f64(j->kind, AT(j->x, const double, s), AT(j->t, const double, s),
                 AT(j->w, const double, s), len, j->param, AT(j->loss, double, s),
                 AT(j->grad, double, s), j->gscale, part, j->block, &fin);
    if (fin) atomic_store(&j->bad, 1);
}

typedef struct {
    int f32;
    const void *x, *f, *keep;
    const int64_t *y;
    Py_ssize_t m, c, block, scratch_len, rpad;
    double scale;
    void *loss, *grad;
    double *partial, *scratch;
    int has_ignore;  /* labels equal to `ignore` are rows left out (weight 0) */
    int64_t ignore;
    int64_t *yscr;   /* per thread: a block's labels, the ignored ones replaced by 0 */
    void *fscr;      /* per thread: a block's row weights, 0 for the ignored rows */
    atomic_int bad;
    atomic_llong bad_label, bad_row, ignored;
} rows_job;

/* the number of labels y[0..n) equal to `ignore` (has_ignore) and, in *bad, whether any other
 * is outside [0, c): branch-free loops the compiler vectorizes */
LL_CLONES static Py_ssize_t scan_labels(const int64_t *y, Py_ssize_t n, int64_t c, int has_ignore,
                                        int64_t ignore, int64_t *bad) {
    int64_t nign = 0, out = 0;
    if (has_ignore)
        for (Py_ssize_t i = 0; i < n; i++) {
            int64_t ign = y[i] == ignore;
            nign += ign;
            out |= (ign ^ 1) & ((y[i] < 0) | (y[i] >= c));
        }
    else
        for (Py_ssize_t i = 0; i < n; i++) out |= (y[i] < 0) | (y[i] >= c);
    *bad = out;
    return (Py_ssize_t)nign;
}

/* The rows [r0, r0 + nr) of block k: r0 and the returned nr. */
static Py_ssize_t block_rows(const rows_job *j, Py_ssize_t k, Py_ssize_t *r0) {
    *r0 = k * j->block;
    return j->m - *r0 < j->block ? j->m - *r0 : j->block;
}

/* Check the labels of rows [r0, r0 + nr): each is in [0, c) or, with has_ignore, equal to
 * ignore. Returns -1 (a bad label: its row is recorded) or the number of ignored rows. *y and *f
 * are the block's labels and row weights; when some rows are ignored (has_ignore, so there is no
 * f) they point at the thread's copies instead: labels with the ignored ones replaced by 0, and
 * weights 1, or 0 for the ignored rows, which are then computed like rows of weight 0 (loss 0,
 * gradient 0). */
static Py_ssize_t rows_labels(rows_job *j, Py_ssize_t r0, Py_ssize_t nr, int who,
                              const int64_t **y, const void **f) {
    const int64_t *yb = j->y + r0;
    size_t isz = j->f32 ? 4 : 8;
    int64_t bad;
    *y = yb;
    *f = j->f ? (const char *)j->f + (size_t)r0 * isz : NULL;
    Py_ssize_t nign = scan_labels(yb, nr, j->c, j->has_ignore, j->ignore, &bad);
    if (bad) {
        Py_ssize_t i = first_bad_label(yb, nr, j->c, j->has_ignore, j->ignore);
        atomic_min_row(&j->bad_label, r0 + i);
        return -1;
    }
    if (nign) {
        int64_t *ys = j->yscr + (size_t)who * (size_t)j->block;
        char *fs = (char *)j->fscr + (size_t)who * (size_t)j->block * isz;
        for (Py_ssize_t i = 0; i < nr; i++) {
            int ign = yb[i] == j->ignore;
            ys[i] = ign ? 0 : yb[i];
            if (j->f32)
                ((float *)fs)[i] = ign ? 0.0f : 1.0f;
            else
                ((double *)fs)[i] = ign ? 0.0 : 1.0;
        }
        *y = ys;
        *f = fs;
        atomic_fetch_add(&j->ignored, nign);
    }
    return nign;
}

static void softmax_task(void *vctx, Py_ssize_t k, int who) {
    rows_job *j = vctx;
    Py_ssize_t r0, nr = block_rows(j, k, &r0);
    const int64_t *y;
    const void *f;
    if (rows_labels(j, r0, nr, who, &y, &f) < 0) return;
    double *e = j->scratch + (size_t)who * (size_t)j->scratch_len;
    double *row = e + (j->scratch_len - 5 * j->rpad);
    uint64_t fin = 0;
    Py_ssize_t c = j->c;
    if (j->f32)
        softmax_ce_f32(AT(j->x, const float, r0 * c), nr, c, y, f, j->scale,
                       AT(j->loss, float, r0), AT(j->grad, float, r0 * c),
                       AT(j->partial, double, k), j->block, e, row, &fin);
    else
        softmax_ce_f64(AT(j->x, const double, r0 * c), nr, c, y, f, j->scale,
                       AT(j->loss, double, r0), AT(j->grad, double, r0 * c),
                       AT(j->partial, double, k), j->block, e, row, &fin);
    if (fin) atomic_store(&j->bad, 1);
}

static void nll_task(void *vctx, Py_ssize_t k, int who) {
    rows_job *j = vctx;
    Py_ssize_t r0, nr = block_rows(j, k, &r0);
    Py_ssize_t c = j->c, bad;
    if (!j->f && !j->keep) { /* unweighted: the losses in one stream, then the gradient */
        Py_ssize_t bad_label, nign;
        if (j->f32)
            bad = nll_stream_f32(AT(j->x, const float, r0 * c), nr, c, j->y + r0, j->has_ignore,
                                 j->ignore, AT(j->loss, float, r0), AT(j->partial, double, k),
                                 &bad_label, &nign);
        else
            bad = nll_stream_f64(AT(j->x, const double, r0 * c), nr, c, j->y + r0,
                                 j->has_ignore, j->ignore, AT(j->loss, double, r0),
                                 AT(j->partial, double, k), &bad_label, &nign);
        if (bad_label >= 0) {
            atomic_min_row(&j->bad_label, r0 + bad_label);
            return;
        }
        if (nign) atomic_fetch_add(&j->ignored, nign);
        if (bad >= 0) atomic_min_row(&j->bad_row, r0 + bad);
        if (j->grad) {
            if (j->f32)
                nll_grad_f32(AT(j->grad, float, r0 * c), nr, c, j->y + r0, NULL, j->has_ignore,
                             j->ignore, j->scale);
            else
                nll_grad_f64(AT(j->grad, double, r0 * c), nr, c, j->y + r0, NULL,
                             j->has_ignore, j->ignore, j->scale);
        }
        return;
    }
    /* weighted rows (f or keep): no ignore_index (the binding refuses it), so rows_labels only
     * checks the labels */
    const int64_t *y;
    const void *f;
    if (rows_labels(j, r0, nr, who, &y, &f) < 0) return;
    const void *keep = AT(j->keep, const char, r0 * (j->f32 ? 4 : 8));
    if (j->f32)
        bad = nll_f32(AT(j->x, const float, r0 * c), nr, c, y, f, keep, j->scale,
                      AT(j->loss, float, r0), AT(j->grad, float, r0 * c),
                      AT(j->partial, double, k), j->block);
    else
        bad = nll_f64(AT(j->x, const double, r0 * c), nr, c, y, f, keep, j->scale,
                      AT(j->loss, double, r0), AT(j->grad, double, r0 * c),
                      AT(j->partial, double, k), j->block);
    if (bad >= 0) atomic_min_row(&j->bad_row, r0 + bad);
}

/* ---------------------------------------------------------------------------------------------
 * Python bindings (buffer protocol; no NumPy headers needed).
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    Py_buffer view;
    int held;
} buf_t;

/* Get a C-contiguous buffer of `count` items of `itemsize` bytes (count < 0: any length), or
 * none when obj is None and `optional`. */
static int get_buf(PyObject *obj, buf_t *b, int writable, Py_ssize_t itemsize, const char *name,
                   int optional) {
    b->held = 0;
    if (obj == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", name);
        return -1;
    }
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0) return -1;
    b->held = 1;
    if (b->view.itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: item size %zd, expected %zd", name, b->view.itemsize,
                     itemsize);
        return -1;
    }
    return 0;
}

static void release(buf_t *bufs, int n) {
    for (int i = 0; i < n; i++)
        if (bufs[i].held) PyBuffer_Release(&bufs[i].view);
}

#define NITEMS(b) ((b).view.len / (b).view.itemsize)
#define PTR(b) ((b).held ? (b).view.buf : NULL)

static int check_len(buf_t *b, Py_ssize_t n, const char *name) {
    if (b->held && NITEMS(*b) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items, expected %zd", name, NITEMS(*b), n);
        return -1;
    }
    return 0;
}

static Py_ssize_t ntasks_of(Py_ssize_t n, Py_ssize_t block) { return (n + block - 1) / block; }

/* pair(kind, f32, x, t, w, param, loss, grad, gscale, partial, block[, nthreads]) -> bool: every
 * loss finite (False: Python checks the inputs for NaN/inf) */
static PyObject *py_pair(PyObject *self, PyObject *args) {
    int kind, f32, nthreads = 1;
    PyObject *ox, *ot, *ow, *oloss, *ograd, *opart;
    double param, gscale;
    Py_ssize_t block;
    if (!PyArg_ParseTuple(args, "ipOOOdOOdOn|i", &kind, &f32, &ox, &ot, &ow, &param, &oloss,
                          &ograd, &gscale, &opart, &block, &nthreads))
        return NULL;
    if (kind < K_MSE || kind > K_KL_DIV_LOG || block < 1) {
        PyErr_SetString(PyExc_ValueError, "pair: bad kind or block");
        return NULL;
    }
    Py_ssize_t isz = f32 ? 4 : 8;
    buf_t b[6];
    memset(b, 0, sizeof b);
    PyObject *res = NULL;
    if (get_buf(ox, &b[0], 0, isz, "x", 0) || get_buf(ot, &b[1], 0, isz, "t", 0) ||
        get_buf(ow, &b[2], 0, isz, "w", 1) || get_buf(oloss, &b[3], 1, isz, "loss", 1) ||
        get_buf(ograd, &b[4], 1, isz, "grad", 1) || get_buf(opart, &b[5], 1, 8, "partial", 1))
        goto done;
    Py_ssize_t n = NITEMS(b[0]);
    if (check_len(&b[1], n, "t") || check_len(&b[2], n, "w") || check_len(&b[3], n, "loss") ||
        check_len(&b[4], n, "grad") || check_len(&b[5], ntasks_of(n, block), "partial"))
        goto done;
    pair_job job = {kind, f32, PTR(b[0]), PTR(b[1]), PTR(b[2]), n, block, param, gscale,
                    PTR(b[3]), PTR(b[4]), PTR(b[5])};
    atomic_init(&job.bad, 0);
    Py_BEGIN_ALLOW_THREADS;
    run_tasks(pair_task, &job, ntasks_of(n, block), nthreads);
    Py_END_ALLOW_THREADS;
    res = PyBool_FromLong(atomic_load(&job.bad) == 0);
done:
    release(b, 6);
    return res;
}

/* the buffers of softmax_ce and nll: x, y, f, keep, loss, grad, partial (keep only for nll) */
/* The buffers of softmax_ce and nll (x, y, f, keep, loss, grad, partial; keep only for nll)
 * and the optional ignore_index (None, or an int: then f and keep must be None). */
static int get_rows(rows_job *j, buf_t *b, PyObject *const *o, PyObject *oignore,
                    const char *what) {
    Py_ssize_t isz = j->f32 ? 4 : 8;
    if (j->c < 1 || j->block < 1) {
        PyErr_Format(PyExc_ValueError, "%s: c < 1 or block < 1", what);
        return -1;
    }
    if (get_buf(o[0], &b[0], 0, isz, "x", 0) || get_buf(o[1], &b[1], 0, 8, "y", 0) ||
        get_buf(o[2], &b[2], 0, isz, "f", 1) || get_buf(o[3], &b[3], 0, isz, "keep", 1) ||
        get_buf(o[4], &b[4], 1, isz, "loss", 1) || get_buf(o[5], &b[5], 1, isz, "grad", 1) ||
        get_buf(o[6], &b[6], 1, 8, "partial", 1))
        return -1;
    Py_ssize_t m = NITEMS(b[0]) / j->c;
    if (m * j->c != NITEMS(b[0])) {
        PyErr_Format(PyExc_ValueError, "%s: x is not a whole number of rows", what);
        return -1;
    }
    if (check_len(&b[1], m, "y") || check_len(&b[2], m, "f") || check_len(&b[3], m, "keep") ||
        check_len(&b[4], m, "loss") || check_len(&b[5], m * j->c, "grad") ||
        check_len(&b[6], ntasks_of(m, j->block), "partial"))
        return -1;
    j->has_ignore = oignore != Py_None;
    if (j->has_ignore) {
        j->ignore = PyLong_AsLongLong(oignore);
        if (j->ignore == -1 && PyErr_Occurred()) return -1;
        if (b[2].held || b[3].held) {
            PyErr_Format(PyExc_ValueError, "%s: ignore_index needs f and keep None", what);
            return -1;
        }
    }
    j->m = m;
    j->x = PTR(b[0]);
    j->y = PTR(b[1]);
    j->f = PTR(b[2]);
    j->keep = PTR(b[3]);
    j->loss = PTR(b[4]);
    j->grad = PTR(b[5]);
    j->partial = PTR(b[6]);
    atomic_init(&j->bad, 0);
    atomic_init(&j->bad_label, -1);
    atomic_init(&j->bad_row, -1);
    atomic_init(&j->ignored, 0);
    return 0;
}

static int run_rows(rows_job *j, task_fn fn, int nthreads) {
    Py_ssize_t ntasks = ntasks_of(j->m, j->block);
    if (nthreads > ntasks) nthreads = ntasks < 1 ? 1 : (int)ntasks;
    if (nthreads > MAXTHREADS) nthreads = MAXTHREADS;
    Py_ssize_t rows = chunk_rows(j->c);
    j->rpad = (rows + W - 1) / W * W;
    /* softmax: each thread's e (rows * c + W) and row (5 rpad) buffers */
    j->scratch_len = fn == softmax_task ? (rows * j->c + W - 1) / W * W + 5 * j->rpad : 0;
    /* softmax with ignore_index: each thread's labels and weights of a block (nll streams the
     * ignored rows instead) */
    size_t per_label = fn == softmax_task && j->has_ignore ? 16 : 0;
    size_t label_len = (size_t)j->block * per_label;
    char *mem = PyMem_RawMalloc((sizeof(double) * (size_t)j->scratch_len + label_len) *
                                    (size_t)nthreads + 1);
    if (!mem) {
        PyErr_NoMemory();
        return -1;
    }
    j->scratch = (double *)mem;
    j->yscr = (int64_t *)(mem + sizeof(double) * (size_t)j->scratch_len * (size_t)nthreads);
    j->fscr = (char *)j->yscr + (size_t)j->block * 8 * (size_t)nthreads;
    Py_BEGIN_ALLOW_THREADS;
    run_tasks(fn, j, ntasks, nthreads);
    Py_END_ALLOW_THREADS;
    PyMem_RawFree(mem);
    return 0;
}

/* softmax_ce(f32, x, c, y, f, scale, loss, grad, partial, block[, nthreads[, ignore_index]])
 * -> (every z finite, rows ignored, first row with a bad label or -1) */
static PyObject *py_softmax_ce(PyObject *self, PyObject *args) {
    rows_job j;
    memset(&j, 0, sizeof j);
    PyObject *o[7] = {NULL, NULL, NULL, Py_None, NULL, NULL, NULL}, *oignore = Py_None;
    int nthreads = 1;
    if (!PyArg_ParseTuple(args, "pOnOOdOOOn|iO", &j.f32, &o[0], &j.c, &o[1], &o[2], &j.scale,
                          &o[4], &o[5], &o[6], &j.block, &nthreads, &oignore))
        return NULL;
    buf_t b[7];
    memset(b, 0, sizeof b);
    PyObject *res = NULL;
    if (get_rows(&j, b, o, oignore, "softmax_ce") || run_rows(&j, softmax_task, nthreads))
        goto done;
    res = Py_BuildValue("(NLL)", PyBool_FromLong(atomic_load(&j.bad) == 0),
                        (long long)atomic_load(&j.ignored), (long long)atomic_load(&j.bad_label));
done:
    release(b, 7);
    return res;
}

/* nll(f32, x, c, y, f, keep, scale, loss, grad, partial, block[, nthreads[, ignore_index]])
 * -> (first row with a non-finite label entry or -1, rows ignored, first row with a bad label
 * or -1) */
static PyObject *py_nll(PyObject *self, PyObject *args) {
    rows_job j;
    memset(&j, 0, sizeof j);
    PyObject *o[7], *oignore = Py_None;
    int nthreads = 1;
    if (!PyArg_ParseTuple(args, "pOnOOOdOOOn|iO", &j.f32, &o[0], &j.c, &o[1], &o[2], &o[3],
                          &j.scale, &o[4], &o[5], &o[6], &j.block, &nthreads, &oignore))
        return NULL;
    buf_t b[7];
    memset(b, 0, sizeof b);
    PyObject *res = NULL;
    if (get_rows(&j, b, o, oignore, "nll") || run_rows(&j, nll_task, nthreads)) goto done;
    res = Py_BuildValue("(LLL)", (long long)atomic_load(&j.bad_row),
                        (long long)atomic_load(&j.ignored), (long long)atomic_load(&j.bad_label));
done:
    release(b, 7);
    return res;
}

/* Test hooks: the elementary functions on a float64 or float32 buffer, out[i] = f(x[i]). */
#define DEFINE_UNARY(NAME, P, FN)                                                                 \
    LL_CLONES static void NAME(const void *xv, void *outv, Py_ssize_t n) {                       \
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

static PyObject *unary(PyObject *args, void (*fn)(const void *, void *, Py_ssize_t),
                       Py_ssize_t itemsize) {
    PyObject *ox, *oout;
    if (!PyArg_ParseTuple(args, "OO", &ox, &oout)) return NULL;
    buf_t b[2];
    memset(b, 0, sizeof b);
    PyObject *res = NULL;
    if (get_buf(ox, &b[0], 0, itemsize, "x", 0) || get_buf(oout, &b[1], 1, itemsize, "out", 0))
        goto done;
    if (check_len(&b[1], NITEMS(b[0]), "out")) goto done;
    fn(b[0].view.buf, b[1].view.buf, NITEMS(b[0]));
    res = Py_NewRef(Py_None);
done:
    release(b, 2);
    return res;
}

static PyObject *py_exp(PyObject *self, PyObject *args) { return unary(args, vexp_f64, 8); }
static PyObject *py_log1p(PyObject *self, PyObject *args) { return unary(args, vlog1p_f64, 8); }
static PyObject *py_expf(PyObject *self, PyObject *args) { return unary(args, vexp_f32, 4); }
static PyObject *py_log1pf(PyObject *self, PyObject *args) { return unary(args, vlog1p_f32, 4); }
static PyObject *py_log(PyObject *self, PyObject *args) { return unary(args, vlog_f64, 8); }
static PyObject *py_logf(PyObject *self, PyObject *args) { return unary(args, vlog_f32, 4); }

static PyObject *py_preferred(PyObject *self, PyObject *unused) {
#if VBYTES == 64
    if (!HAVE_CLONES) Py_RETURN_FALSE; /* no run-time dispatch: keep the portable build */
    __builtin_cpu_init();
#endif
    return PyBool_FromLong(PREFERRED_HERE);
}

static PyObject *py_lanes(PyObject *self, PyObject *unused) { return PyLong_FromLong(W); }

static PyObject *py_worker_tasks(PyObject *self, PyObject *unused) {
    return PyLong_FromLongLong(atomic_load(&worker_tasks));
}

static PyMethodDef methods[] = {
    {"pair", py_pair, METH_VARARGS, "Fused element-wise loss, gradient and block sums."},
    {"softmax_ce", py_softmax_ce, METH_VARARGS, "Softmax cross-entropy of rows with labels."},
    {"nll", py_nll, METH_VARARGS, "Negative log-likelihood gather (and gradient)."},
    {"exp", py_exp, METH_VARARGS, "exp of a float64 buffer (test hook)."},
    {"log1p", py_log1p, METH_VARARGS, "log1p of a non-negative float64 buffer (test hook)."},
    {"expf", py_expf, METH_VARARGS, "exp of a float32 buffer (test hook)."},
    {"log1pf", py_log1pf, METH_VARARGS, "log1p of a non-negative float32 buffer (test hook)."},
    {"log", py_log, METH_VARARGS, "log of a float64 buffer of values in (0, 1] (test hook)."},
    {"logf", py_logf, METH_VARARGS, "log of a float32 buffer of values in (0, 1] (test hook)."},
    {"preferred", py_preferred, METH_NOARGS, "Whether this build suits the CPU (AVX-512 for 512-bit)."},
    {"lanes", py_lanes, METH_NOARGS, "float64 lanes per vector in this build."},
    {"worker_tasks", py_worker_tasks, METH_NOARGS, "Tasks run by pool workers so far (test hook)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, MODULE_NAME,
    "Fused single-pass loss kernels (see losslab/_fast.py).", -1, methods,
};

PyMODINIT_FUNC MODULE_INIT(void) { return PyModule_Create(&module); }
