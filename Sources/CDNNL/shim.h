#ifndef MERCLIP_CDNNL_SHIM_H
#define MERCLIP_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <stdint.h>

/* oneDNN's run-time placeholders are macros over static unions, which Swift does not import. */
static inline const float *cdnnl_runtime_f32(void) { return &DNNL_RUNTIME_F32_VAL; }

/* The OpenMP runtime oneDNN runs on (libgomp for Debian's build): thread count of the calling thread's
   parallel regions. Looked up at run time, so no OpenMP development files are needed. */
static inline void cdnnl_set_threads(int n) {
    typedef void (*set_fn)(int);
    static set_fn fn = 0;
    static int looked = 0;
    if (!looked) { fn = (set_fn)dlsym(RTLD_DEFAULT, "omp_set_num_threads"); looked = 1; }
    if (fn) fn(n);
}
/* Parallel loops on oneDNN's own OpenMP thread team (libgomp's GOMP_parallel, looked up at run time), so that
   the work between two matmuls is not run by a second pool while the team's threads spin waiting for the next
   matmul. Iterations are handed out one at a time from a shared counter. */
typedef void (*cdnnl_body)(void *context, long index);
struct cdnnl_job { cdnnl_body body; void *context; long count; long next; };
typedef void (*cdnnl_gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);

static inline cdnnl_gomp_parallel_fn cdnnl_gomp_parallel(void) {
    static cdnnl_gomp_parallel_fn fn = 0;
    static int looked = 0;
    if (!looked) { fn = (cdnnl_gomp_parallel_fn)dlsym(RTLD_DEFAULT, "GOMP_parallel"); looked = 1; }
    return fn;
}

static void cdnnl_job_run(void *p) {
    struct cdnnl_job *job = (struct cdnnl_job *)p;
    long i;
    while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->count) job->body(job->context, i);
}

/* Runs body(context, i) for i in 0..<count on `threads` threads of the calling thread's OpenMP team;
   0 when libgomp is not loaded (the caller then runs the loop itself). */
static inline int cdnnl_parallel(long count, int threads, cdnnl_body body, void *context) {
    cdnnl_gomp_parallel_fn fn = cdnnl_gomp_parallel();
    if (!fn) return 0;
    struct cdnnl_job job = { body, context, count, 0 };
    fn(cdnnl_job_run, &job, (unsigned)threads, 0);
    return 1;
}
#endif
