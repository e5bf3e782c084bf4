#ifndef HYPERGRID_CLAPACK_SHIM_H
#define HYPERGRID_CLAPACK_SHIM_H
#include <stddef.h>
/*
 * The two LAPACK routines hypergrid uses, declared with the Fortran calling
 * convention that Debian's liblapack (reference or OpenBLAS) exports. gfortran
 * passes the length of each CHARACTER argument as a trailing size_t; we pass 1.
 * Declared here rather than through LAPACKE so the only build dependency is
 * liblapack-dev.
 */
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t uplo_len);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t uplo_len);
#endif
