#include "common.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

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

/* Run fn(ctx, k, who) for k in [0, ntasks) on up to nthreads threads (see common.h). */
void run_tasks(task_fn fn, void *ctx, Py_ssize_t ntasks, int nthreads) {
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

long long pool_worker_tasks(void) { return atomic_load(&worker_tasks); }

/* the lowest of the values stored (init -1 meaning none) */
void atomic_min_row(atomic_llong *a, long long v) {
    long long cur = atomic_load(a);
    while ((cur < 0 || v < cur) && !atomic_compare_exchange_weak(a, &cur, v)) {
    }
}
