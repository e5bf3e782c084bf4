#ifndef HYPERGRID_PIXEL_GRAM_H
#define HYPERGRID_PIXEL_GRAM_H
#include <stddef.h>
#include <stdint.h>

/*
 * The Gram matrix of 8-bit pixel rows, exact, with AVX-512 VNNI integer dot products
 * (64 multiply-adds per instruction against 16 for a float32 FMA at that width).
 * PCA's covariance of CIFAR-10 is 49,000 × 3,072² / 2 ≈ 2.3·10¹¹ multiply-adds: the
 * float32 GEMM needs seconds for it, this kernel a fraction of that.
 *
 * Hand-written because no packaged library fits: OpenBLAS has no integer GEMM, and
 * oneDNN's u8×s8 GEMM warns that it may saturate 16-bit intermediates on CPUs without
 * VNNI, while exactness is the point here. The function is compiled for AVX-512 VNNI
 * alone (a target attribute) and must only be called where
 * hg_pixel_gram_vnni_available() returns 1; callers have a portable route otherwise.
 */

/* 1 when this CPU (and OS) runs the AVX-512 VNNI kernel, else 0. */
int hg_pixel_gram_vnni_available(void);

/*
 * gram[i*d + j] += Σ_r x[r*d + i] · x[r*d + j] for every j ≥ i (entries below the diagonal
 * may be added to as well and are to be ignored), over the n rows of d bytes of x.
 * Every value is an exact integer (below 2^53 for n·255² < 2^53). Returns 0, or -1 when
 * memory for the packed blocks (about 8·d bytes per row of a 4,096-row chunk) cannot be had.
 */
int hg_pixel_gram_vnni(const uint8_t *x, size_t n, size_t d, double *gram);

#endif
