#ifndef MERCLIP_COPENBLAS_SHIM_H
#define MERCLIP_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
