/*
 * Kernels over rows (M, C) with integer labels: softmax cross-entropy and negative
 * log-likelihood, and their per-block tasks (labels checked, ignore_index rows left out).
 */
#include "vecmath.h"

/* ---------------------------------------------------------------------------------------------
 * Softmax cross-entropy of rows with integer labels.
 * ------------------------------------------------------------------------------------------ */

#define ROWCHUNK 4096 /* elements of scratch per pass (at least one row) */

/* rows per pass of the softmax kernel: ROWCHUNK elements' worth, at least one row */
Py_ssize_t chunk_rows(Py_ssize_t c) { return c >= ROWCHUNK ? 1 : ROWCHUNK / c; }

/* Sum of a row of non-negative terms: four running sums for a narrow row, compensated sums in
 * 32 lanes for a wide one (its error then does not grow with the number of classes). */
LL_INLINE double row_sum(const double *e, Py_ssize_t c) {
    if (c < SUM_LANES) {
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
    Py_ssize_t full = c / SUM_UNIT * SUM_UNIT;
    kahan_add(&acc, e, full);
    double tail[SUM_UNIT] = {0}; /* the rest, zero-padded, into the first unit's lanes */
    for (Py_ssize_t j = full; j < c; j++) tail[j - full] = e[j];
    for (int q = 0; q < SUM_UNIT / W; q++) kahan_step(&acc.s[q], &acc.c[q], vload(tail + q * W));
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
        Py_ssize_t rpad = (rows + SUM_UNIT - 1) / SUM_UNIT * SUM_UNIT;                            \
        double *arg = row, *ssum = row + rpad, *zy = row + 2 * rpad, *rest = row + 3 * rpad;      \
        double *lrow = row + 4 * rpad;                                                            \
        vu bad = (vu)splat(0.0);                                                                  \
        for (Py_ssize_t b0 = 0, k = 0; b0 < m; b0 += block, k++) {                                \
            Py_ssize_t b1 = b0 + block < m ? b0 + block : m;                                      \
            kahan acc;                                                                            \
            kahan_zero(&acc);                                                                     \
            Py_ssize_t g1 = b0; /* rows before g1 go W at a time, a sum unit per pass */         \
            if (c <= SMALLC)                                                                      \
                for (; g1 + SUM_UNIT <= b1; g1 += SUM_UNIT)                                       \
                    for (int q = 0; q < SUM_UNIT / W; q++) {                                      \
                        Py_ssize_t g = g1 + q * W;                                                \
                        vd lv = GROUP(x + g * c, c, y + g, fw ? fw + g : NULL, scale,             \
                                      loss ? loss + g : NULL, grad ? grad + g * c : NULL, &bad);  \
                        if (partial) kahan_step(&acc.s[q], &acc.c[q], lv);                        \
                    }                                                                             \
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
                Py_ssize_t nrv = (nr + SUM_UNIT - 1) / SUM_UNIT * SUM_UNIT;                       \
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
        double lb[NLLCHUNK + SUM_UNIT] __attribute__((aligned(64)));                             \
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
                    Py_ssize_t nrv = (nr + SUM_UNIT - 1) / SUM_UNIT * SUM_UNIT;                   \
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
        for (; i + SUM_VECS * W <= m; i += SUM_VECS * W)                                                      \
            _Pragma("GCC unroll 8") for (int q = 0; q < SUM_VECS; q++) {                                \
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
        for (int q = (int)((i % SUM_LANES) / W); i % SUM_UNIT; i += W, q++) /* to the unit's end */ \
            kahan_step(&acc.s[q], &acc.c[q], splat(0.0));                                         \
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

void softmax_task(void *vctx, Py_ssize_t k, int who) {
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

void nll_task(void *vctx, Py_ssize_t k, int who) {
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
