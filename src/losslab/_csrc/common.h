/*
 * losslab._kernels: fused single-pass kernels for the large-input paths of losslab.
 *
 * Every kernel works on C-contiguous float64 or float32 buffers (the dtype is passed as a flag),
 * computes in double precision, releases the GIL, and never calls libm inside its loops: exp,
 * log1p and log are the vectorizable routines of vecmath.h (errors below 1 ulp, tested against
 * mpmath in tests/test_kernels_elementary.py). The sources are compiled with -ffp-contract=off,
 * so no multiply-add is fused and the result is the same on every x86-64 instruction set the
 * function clones target (AVX-512, AVX2, baseline).
 *
 * Files: common.h (this: build configuration, the kinds, the block and sum layout, what the
 * files share), vecmath.h (vector types, exp/log, compensated sums), pair.c (element-wise
 * losses), rows.c (softmax cross-entropy and nll over rows), pool.c (the thread pool),
 * module.c (the Python bindings). The Python side (losslab/_fast.py) validates arguments and
 * falls back to NumPy when the extension is not built.
 */
#ifndef LOSSLAB_COMMON_H
#define LOSSLAB_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if !defined(__GNUC__)
#error "losslab._kernels needs GCC or Clang vector extensions; losslab falls back to NumPy"
#endif

/* The sources are compiled twice (setup.py): as losslab._kernels with 256-bit vectors (VBYTES
 * 32, native on AVX2, the portable build) and as losslab._kernels512 with 512-bit vectors
 * (VBYTES 64), which losslab uses only on a CPU with AVX-512 (on AVX2, 512-bit generic vectors
 * are split through the stack, several times slower). */
#ifndef VBYTES
#define VBYTES 32
#endif
#if VBYTES == 64
#define MODULE_NAME "losslab._kernels512"
#define MODULE_INIT PyInit__kernels512
#define BUILD_NAME "avx512"
#define CLONE_TARGETS "avx512f", "default"
#define PREFERRED_HERE __builtin_cpu_supports("avx512f")
#else
#define MODULE_NAME "losslab._kernels"
#define MODULE_INIT PyInit__kernels
#define BUILD_NAME "avx2"
#define CLONE_TARGETS "avx2", "default"
#define PREFERRED_HERE 1
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#if VBYTES == 64 /* used only where the CPU has AVX-512: no baseline clone to compile */
#define LL_CLONES __attribute__((target("avx512f")))
#else
#define LL_CLONES __attribute__((target_clones(CLONE_TARGETS)))
#endif
#define HAVE_CLONES 1
#else
#define LL_CLONES
#define HAVE_CLONES 0
#endif

#define LL_INLINE static inline __attribute__((always_inline))

/* W doubles per vector: 4 in the 256-bit build, 8 in the 512-bit one; WS floats. */
#define W (VBYTES / 8)
#define WS (VBYTES / 4)

/* Elements (or rows) per block: the unit of work of a thread and of the partial sums. Python
 * passes the block to every call (losslab._reduction.BLOCK for the element-wise losses); this
 * is the module's default, exported as BLOCK. */
#define BLOCK (1 << 15)

/* The sum layout, the same in both builds: a block's losses are summed in SUM_LANES double
 * lanes (the value at offset i from the start of its pass goes to lane i mod SUM_LANES), added
 * in lane order at the end. Values enter the sums in units of SUM_UNIT lanes: a pass that ends
 * inside a unit is padded with zeros to the unit's end. Every lane thus sees the same values in
 * the same order whatever the vector width (SUM_VECS vectors of sums, SUM_UNIT / W vectors to a
 * unit) or the alignment, so the sums are bit-identical in both builds (this layout is the one
 * the 512-bit build always had). */
#define SUM_LANES 32
#define SUM_UNIT 8
#define SUM_VECS (SUM_LANES / W)

/* The element-wise losses of pair(): X(enum name, name). The module exports the names with
 * their codes as PAIR_KINDS. */
#define PAIR_KIND_LIST(X)                                                                         \
    X(MSE, mse)                                                                                 \
    X(L1, l1)                                                                                   \
    X(HUBER, huber)                                                                             \
    X(SMOOTH_L1, smooth_l1)                                                                     \
    X(BCE_LOGITS, bce_logits)                                                                   \
    X(SOFT_MARGIN, soft_margin)                                                                 \
    X(KL_DIV, kl_div)                                                                           \
    X(KL_DIV_LOG, kl_div_log)

#define PAIR_KIND_ENUM(E, name) K_##E,
enum { PAIR_KIND_LIST(PAIR_KIND_ENUM) N_PAIR_KINDS };

/* The row kernels: functions of the module over (M, C) rows with labels, X(enum name, name);
 * exported as ROW_KINDS. */
#define ROW_KIND_LIST(X)                                                                          \
    X(SOFTMAX_CE, softmax_ce)                                                                   \
    X(NLL, nll)

#define ROW_KIND_ENUM(E, name) R_##E,
enum { ROW_KIND_LIST(ROW_KIND_ENUM) N_ROW_KINDS };

/* p + s for a buffer that may be absent */
#define AT(p, T, s) ((p) ? (T *)(p) + (s) : NULL)

/* ---- pool.c ---- */
typedef void (*task_fn)(void *ctx, Py_ssize_t task, int who);
#define MAXTHREADS 64
/* Run fn(ctx, k, who) for k in [0, ntasks) on up to nthreads threads; who in [0, nthreads)
 * tells a task which thread's scratch to use. Called without the GIL. */
void run_tasks(task_fn fn, void *ctx, Py_ssize_t ntasks, int nthreads);
/* tasks run by pool workers so far (a test hook) */
long long pool_worker_tasks(void);
/* the lowest of the values stored (init -1 meaning none) */
void atomic_min_row(atomic_llong *a, long long v);

/* ---- pair.c ---- */
typedef struct {
    int kind, f32;
    const void *x, *t, *w;
    Py_ssize_t n, block;
    double param, gscale;
    void *loss, *grad;
    double *partial;
    atomic_int bad;
} pair_job;

/* block k of a pair job */
void pair_task(void *vctx, Py_ssize_t k, int who);

/* ---- rows.c ---- */
typedef struct {
    int f32;
    const void *x, *f, *keep;
    const int64_t *y;
    Py_ssize_t m, c, block, scratch_len, rpad;
    double scale;
    void *loss, *grad;
    double *partial, *scratch;
    int has_ignore; /* labels equal to `ignore` are rows left out (weight 0) */
    int64_t ignore;
    int64_t *yscr; /* per thread: a block's labels, the ignored ones replaced by 0 */
    void *fscr;    /* per thread: a block's row weights, 0 for the ignored rows */
    atomic_int bad;
    atomic_llong bad_label, bad_row, ignored;
} rows_job;

/* rows per pass of the softmax kernel (scratch sizes) */
Py_ssize_t chunk_rows(Py_ssize_t c);
/* block k of a softmax_ce or nll job */
void softmax_task(void *vctx, Py_ssize_t k, int who);
void nll_task(void *vctx, Py_ssize_t k, int who);

/* ---- module.c's test hooks (in pair.c: they need the vector routines) ---- */
typedef void (*unary_fn)(const void *x, void *out, Py_ssize_t n);
void vexp_f64(const void *x, void *out, Py_ssize_t n);
void vlog1p_f64(const void *x, void *out, Py_ssize_t n);
void vlog_f64(const void *x, void *out, Py_ssize_t n);
void vexp_f32(const void *x, void *out, Py_ssize_t n);
void vlog1p_f32(const void *x, void *out, Py_ssize_t n);
void vlog_f32(const void *x, void *out, Py_ssize_t n);

#endif
