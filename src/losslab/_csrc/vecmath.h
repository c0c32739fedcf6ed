/*
 * Vector math of the kernels (GCC/Clang vector extensions, header-only, every function inlined):
 * double and float vectors, exp, log1p and log (fdlibm's algorithms, within 1 ulp), compensated
 * block sums, and the two lane sets D (float64 buffers) and S (float32 buffers) the loss code is
 * written for once.
 */
#ifndef LOSSLAB_VECMATH_H
#define LOSSLAB_VECMATH_H

#include "common.h"

/* ---------------------------------------------------------------------------------------------
 * W doubles per vector (GCC/Clang vector extensions): 4 in the 256-bit build, 8 in the 512-bit
 * one. Within a build the same lane-wise IEEE operations run on every instruction set its
 * clones target (no fused multiply-add: -ffp-contract=off), so results do not depend on them.
 * ------------------------------------------------------------------------------------------ */

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

/* Kahan summation in the lanes of SUM_VECS vectors (common.h), added in lane order at the end.
 * An infinite term makes the compensation NaN; it is then dropped, so the sum is inf as it
 * should be. */
typedef struct {
    vd s[SUM_VECS], c[SUM_VECS];
} kahan;

LL_INLINE void kahan_zero(kahan *a) {
    for (int q = 0; q < SUM_VECS; q++) a->s[q] = a->c[q] = splat(0.0);
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
    for (; i + SUM_VECS * W <= n; i += SUM_VECS * W)
        for (int q = 0; q < SUM_VECS; q++) kahan_step(&a->s[q], &a->c[q], vload(v + i + q * W));
    for (int q = 0; i < n; i += W, q++) kahan_step(&a->s[q], &a->c[q], vload(v + i));
}

LL_INLINE double kahan_total(const kahan *a) {
    double s = 0.0, c = 0.0;
    for (int q = 0; q < SUM_VECS; q++)
        for (int j = 0; j < W; j++) {
            s += a->s[q][j];
            c += a->c[q][j];
        }
    return s - c;
}

/* ---------------------------------------------------------------------------------------------
 * Eight floats per vector, with float versions of exp and log1p (within 1 ulp of float32).
 * ------------------------------------------------------------------------------------------ */

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
 * stored in order (vector q of every group of SUM_VECS double vectors into sum q): float64 losses
 * with compensation (P##_acc, vector u of a group of P##_G); a vector u of float32 losses is
 * converted to double as one vector of twice the width (GCC lowers that to one vcvtps2pd per
 * half, where a half-width float vector to double is split in two), its halves summed without
 * compensation (32 lanes of at most 1 Ki terms) into sums 2u and 2u + 1. */
#define D_G SUM_VECS
#define S_G (SUM_VECS / 2)
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

#endif
