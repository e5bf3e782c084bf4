// CPUID/XGETBV feature checks for the run-time choice of GEMM kernels.
//
// Hand-written rather than __builtin_cpu_supports: that builtin's answer for
// AVX-512 depends on the compiler runtime's version (older libgcc/compiler-rt
// ignore XCR0), and the kernels need the exact x86-64-v4 set, checked against
// what the OS enabled. This file is compiled for the baseline target and uses
// no instruction beyond CPUID and XGETBV.
#include "CCPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

// XCR0 bits: 1 SSE (xmm), 2 AVX (ymm upper halves), 5 opmask, 6 ZMM_Hi256, 7 Hi16_ZMM.
#define XCR0_YMM 0x06u
#define XCR0_ZMM 0xE6u

// Leaf 1 ECX and leaf 7 EBX bits (Intel SDM vol. 2A, CPUID).
#define L1_FMA (1u << 12)
#define L1_OSXSAVE (1u << 27)
#define L1_AVX (1u << 28)
#define L7_AVX2 (1u << 5)
#define L7_AVX512F (1u << 16)
#define L7_AVX512DQ (1u << 17)
#define L7_AVX512CD (1u << 28)
#define L7_AVX512BW (1u << 30)
#define L7_AVX512VL (1u << 31)

static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    // xgetbv with ECX = 0; the encoding, not the mnemonic, so no -mxsave is needed.
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/// Leaf 1 ECX and leaf 7 EBX, or 0 when the leaves do not exist; XCR0 or 0 without OSXSAVE.
static void read_features(unsigned int *ecx1, unsigned int *ebx7, unsigned long long *xcr0) {
    unsigned int a, b, c, d;
    *ecx1 = 0; *ebx7 = 0; *xcr0 = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    *ecx1 = c;
    if (c & L1_OSXSAVE) *xcr0 = read_xcr0();
    if (__get_cpuid_max(0, 0) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) *ebx7 = b;
}

int hypergrid_cpu_has_avx2_fma(void) {
    unsigned int ecx1, ebx7;
    unsigned long long xcr0;
    read_features(&ecx1, &ebx7, &xcr0);
    return (ecx1 & (L1_AVX | L1_FMA | L1_OSXSAVE)) == (L1_AVX | L1_FMA | L1_OSXSAVE)
        && (xcr0 & XCR0_YMM) == XCR0_YMM
        && (ebx7 & L7_AVX2) != 0;
}

int hypergrid_cpu_has_avx512(void) {
    const unsigned int v4 = L7_AVX512F | L7_AVX512DQ | L7_AVX512CD | L7_AVX512BW | L7_AVX512VL;
    unsigned int ecx1, ebx7;
    unsigned long long xcr0;
    read_features(&ecx1, &ebx7, &xcr0);
    return hypergrid_cpu_has_avx2_fma()
        && (xcr0 & XCR0_ZMM) == XCR0_ZMM
        && (ebx7 & v4) == v4;
}

#else

int hypergrid_cpu_has_avx2_fma(void) { return 0; }
int hypergrid_cpu_has_avx512(void) { return 0; }

#endif
