#ifndef HYPERGRID_CLAPACK_SHIM_H
#define HYPERGRID_CLAPACK_SHIM_H
#include <stddef.h>
/*
 * The LAPACK routines hypergrid uses (PCA's symmetric eigenproblem, computing every
 * eigenvalue but only the kept eigenvectors, as dsyevr does inside), as the types of the
 * functions Debian's liblapack.so.3 (reference or OpenBLAS) exports with the Fortran calling
 * convention. gfortran passes the length of each CHARACTER argument as a trailing size_t; we
 * pass 1. A LOGICAL is a Fortran default integer. Declared here rather than through LAPACKE so
 * the only dependency is liblapack.
 *
 * Function types rather than declarations: HypergridPreprocessing loads the library at first
 * use (LAPACKLibrary.swift), after choosing OpenBLAS's kernels, instead of linking it.
 */
/* Householder reduction of a symmetric matrix to tridiagonal form T = Qᵀ A Q. */
typedef void (*hypergrid_dsytrd_fn)(const char *uplo, const int *n, double *a, const int *lda, double *d,
                                    double *e, double *tau, double *work, const int *lwork, int *info,
                                    size_t uplo_len);
/* Every eigenvalue of a symmetric tridiagonal matrix (Pal-Walker-Kahan QR), ascending. */
typedef void (*hypergrid_dsterf_fn)(const int *n, double *d, double *e, int *info);
/* Selected eigenpairs of a symmetric tridiagonal matrix (MRRR). */
typedef void (*hypergrid_dstemr_fn)(const char *jobz, const char *range, const int *n, double *d, double *e,
                                    const double *vl, const double *vu, const int *il, const int *iu, int *m,
                                    double *w, double *z, const int *ldz, const int *nzc, int *isuppz,
                                    int *tryrac, double *work, const int *lwork, int *iwork,
                                    const int *liwork, int *info, size_t jobz_len, size_t range_len);
/* Multiplies by the Q of dsytrd: the tridiagonal's eigenvectors become the matrix's. */
typedef void (*hypergrid_dormtr_fn)(const char *side, const char *uplo, const char *trans, const int *m,
                                    const int *n, const double *a, const int *lda, const double *tau,
                                    double *c, const int *ldc, double *work, const int *lwork, int *info,
                                    size_t side_len, size_t uplo_len, size_t trans_len);
#endif
