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
#endif
