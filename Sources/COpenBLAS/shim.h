#ifndef HYPERGRID_COPENBLAS_SHIM_H
#define HYPERGRID_COPENBLAS_SHIM_H
/*
 * OpenBLAS's CBLAS, the baseline for hypergrid-bench only (the kernel never
 * links it). Debian's libopenblas-dev installs <cblas.h> under
 * /usr/include/x86_64-linux-gnu/, which is on the default include path; that
 * header also declares openblas_set_num_threads.
 */
#include <cblas.h>
#endif
