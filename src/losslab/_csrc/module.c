/*
 * The Python bindings (buffer protocol; no NumPy headers needed) and the module's constants:
 * PAIR_KINDS (name -> code, from the kind list of common.h), ROW_KINDS, BLOCK, BUILD, LANES.
 */
#include "common.h"

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
    if (kind < 0 || kind >= N_PAIR_KINDS || block < 1) {
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
    j->rpad = (rows + SUM_UNIT - 1) / SUM_UNIT * SUM_UNIT;
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

/* The instruction set the function clones run here: "avx512f" or "avx2" (the build's target),
 * or "default" (baseline x86-64, or a build without clones). */
static PyObject *py_target(PyObject *self, PyObject *unused) {
#if HAVE_CLONES
    __builtin_cpu_init();
#if VBYTES == 64
    if (__builtin_cpu_supports("avx512f")) return PyUnicode_FromString("avx512f");
#else
    if (__builtin_cpu_supports("avx2")) return PyUnicode_FromString("avx2");
#endif
#endif
    return PyUnicode_FromString("default");
}

static PyObject *py_lanes(PyObject *self, PyObject *unused) { return PyLong_FromLong(W); }

static PyObject *py_worker_tasks(PyObject *self, PyObject *unused) {
    return PyLong_FromLongLong(pool_worker_tasks());
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
    {"target", py_target, METH_NOARGS, "The instruction set the kernels' clones run here."},
    {"lanes", py_lanes, METH_NOARGS, "float64 lanes per vector in this build."},
    {"worker_tasks", py_worker_tasks, METH_NOARGS, "Tasks run by pool workers so far (test hook)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, MODULE_NAME,
    "Fused single-pass loss kernels (see losslab/_fast.py).", -1, methods,
};

/* PAIR_KINDS: {name: code} of the element-wise losses; ROW_KINDS: the row kernels' names, in
 * code order; BLOCK; BUILD: "avx512" or "avx2" (the vector width the build targets); LANES:
 * float64 lanes per vector. */
static int add_constants(PyObject *m) {
    PyObject *kinds = PyDict_New();
    if (!kinds) return -1;
#define ADD_KIND(E, id)                                                                           \
    {                                                                                             \
        PyObject *code = PyLong_FromLong(K_##E);                                                  \
        int err = !code || PyDict_SetItemString(kinds, #id, code);                                \
        Py_XDECREF(code);                                                                         \
        if (err) {                                                                                \
            Py_DECREF(kinds);                                                                     \
            return -1;                                                                            \
        }                                                                                         \
    }
    PAIR_KIND_LIST(ADD_KIND)
#undef ADD_KIND
    if (PyModule_AddObject(m, "PAIR_KINDS", kinds) < 0) {
        Py_DECREF(kinds);
        return -1;
    }
#define ROW_NAME(E, id) #id,
    static const char *const row_names[N_ROW_KINDS] = {ROW_KIND_LIST(ROW_NAME)};
#undef ROW_NAME
    PyObject *rows = PyTuple_New(N_ROW_KINDS);
    if (!rows) return -1;
    for (int i = 0; i < N_ROW_KINDS; i++) {
        PyObject *name = PyUnicode_FromString(row_names[i]);
        if (!name) {
            Py_DECREF(rows);
            return -1;
        }
        PyTuple_SET_ITEM(rows, i, name);
    }
    if (PyModule_AddObject(m, "ROW_KINDS", rows) < 0) {
        Py_DECREF(rows);
        return -1;
    }
    if (PyModule_AddIntConstant(m, "BLOCK", BLOCK) < 0 ||
        PyModule_AddIntConstant(m, "LANES", W) < 0 ||
        PyModule_AddStringConstant(m, "BUILD", BUILD_NAME) < 0)
        return -1;
    return 0;
}

PyMODINIT_FUNC MODULE_INIT(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && add_constants(m) < 0) Py_CLEAR(m);
    return m;
}
