#include "pixel_gram.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/*
 * Layout. VPDPBUSD multiplies, in each 32-bit lane, 4 unsigned bytes of one operand by 4
 * signed bytes of the other and adds the 4 products to the lane. The 4 bytes are the same
 * feature in 4 consecutive rows (a "group"), so a lane sums over rows. The micro-kernel
 * keeps an MR × NR tile of the Gram matrix in 24 zmm accumulators: per group it broadcasts
 * feature i's 4 bytes (unsigned, x) and multiplies them by 16 features' 4 bytes (signed,
 * x − 128, i.e. x ^ 0x80) in each of NV vectors. Σ x_i (x_j − 128) + 128 Σ x_i = Σ x_i x_j.
 *
 * Rows are taken RG at a time: |Σ x_i (x_j − 128)| ≤ RG · 255 · 128 < 2^31, so the int32
 * accumulators cannot overflow; each chunk's tiles are added into the float64 result, which
 * is exact for integers below 2^53.
 */
enum { MR = 8, NV = 3, NR = 16 * NV, RG = 4096 };

int hg_pixel_gram_vnni_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}

/* out[ii][jj] = Σ over `groups` groups: a is MR features × 4 rows (u8), b is NR features × 4 rows (s8). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void kernel(const uint8_t *a, const int8_t *b, size_t groups, int32_t *out /* MR x NR */) {
    __m512i c[MR][NV];
    for (int i = 0; i < MR; i++) for (int v = 0; v < NV; v++) c[i][v] = _mm512_setzero_si512();
    for (size_t g = 0; g < groups; g++) {
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64), b2 = _mm512_loadu_si512(b + 128);
        for (int i = 0; i < MR; i++) {
            __m512i ai = _mm512_set1_epi32(*(const int32_t *)(a + 4 * i));
            c[i][0] = _mm512_dpbusd_epi32(c[i][0], ai, b0);
            c[i][1] = _mm512_dpbusd_epi32(c[i][1], ai, b1);
            c[i][2] = _mm512_dpbusd_epi32(c[i][2], ai, b2);
        }
        a += 4 * MR;
        b += 4 * NR;
    }
    for (int i = 0; i < MR; i++) for (int v = 0; v < NV; v++) _mm512_storeu_si512(out + i * NR + 16 * v, c[i][v]);
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
int hg_pixel_gram_vnni(const uint8_t *x, size_t n, size_t d, double *gram) {
    if (n == 0 || d == 0) return 0;
    size_t dA = (d + MR - 1) / MR * MR, dB = (d + NR - 1) / NR * NR;
    uint8_t *apack = aligned_alloc(64, dA * RG);
    int8_t *bpack = aligned_alloc(64, dB * RG);
    int32_t *tile = aligned_alloc(64, sizeof(int32_t) * MR * NR);
    int64_t *sums = calloc(d, sizeof(int64_t));
    uint32_t *il = calloc(dB > dA ? dB : dA, sizeof(uint32_t));  /* zero beyond d: padding features */
    uint8_t *zeros = calloc(d, 1);                                 /* padding rows */
    if (!apack || !bpack || !tile || !sums || !il || !zeros) {
        free(apack); free(bpack); free(tile); free(sums); free(il); free(zeros);
        return -1;
    }
    for (size_t r0 = 0; r0 < n; r0 += RG) {
        size_t rows = n - r0 < RG ? n - r0 : RG, groups = (rows + 3) / 4;
        /* A: [i-block][group][8 features][4 rows]; B: [j-block][group][48 features][4 rows] (x - 128,
           i.e. x ^ 0x80). Each group of 4 rows is interleaved once, then copied in runs. Padding: a = 0. */
        for (size_t g = 0; g < groups; g++) {
            const uint8_t *rp[4];
            for (size_t q = 0; q < 4; q++) rp[q] = r0 + 4 * g + q < r0 + rows ? x + (r0 + 4 * g + q) * d : zeros;
            for (size_t i = 0; i < d; i++) {
                uint32_t w = (uint32_t)rp[0][i] | (uint32_t)rp[1][i] << 8 | (uint32_t)rp[2][i] << 16 | (uint32_t)rp[3][i] << 24;
                il[i] = w;
                sums[i] += rp[0][i] + rp[1][i] + rp[2][i] + rp[3][i];
            }
            for (size_t ib = 0; ib < dA / MR; ib++) memcpy(apack + (ib * groups + g) * 4 * MR, il + ib * MR, 4 * MR);
            for (size_t jb = 0; jb < dB / NR; jb++) {
                uint32_t *to = (uint32_t *)(bpack + (jb * groups + g) * 4 * NR);
                const uint32_t *from = il + jb * NR;
                for (size_t jj = 0; jj < NR; jj++) to[jj] = from[jj] ^ 0x80808080u;
            }
        }
        for (size_t jb = 0; jb < dB / NR; jb++) {
            const int8_t *b = bpack + jb * groups * 4 * NR;
            size_t jend = (jb + 1) * NR;
            for (size_t ib = 0; ib * MR < jend && ib * MR < d; ib++) {
                kernel(apack + ib * groups * 4 * MR, b, groups, tile);
                for (size_t ii = 0; ii < MR && ib * MR + ii < d; ii++) {
                    size_t i = ib * MR + ii;
                    for (size_t jj = 0; jj < NR && jb * NR + jj < d; jj++) {
                        size_t j = jb * NR + jj;
                        gram[i * d + j] += (double)tile[ii * NR + jj];
                    }
                }
            }
        }
    }
    /* sum x_i (x_j - 128) + 128 s_i = sum x_i x_j */
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) gram[i * d + j] += 128.0 * (double)sums[i];
    free(apack); free(bpack); free(tile); free(sums); free(il); free(zeros);
    return 0;
}

#else  /* not x86-64: no VNNI; callers take the portable route */

int hg_pixel_gram_vnni_available(void) { return 0; }

int hg_pixel_gram_vnni(const uint8_t *x, size_t n, size_t d, double *gram) {
    (void)x; (void)n; (void)d; (void)gram;
    return -1;
}

#endif
