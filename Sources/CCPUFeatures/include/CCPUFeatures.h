#ifndef HYPERGRID_CPU_FEATURES_H
#define HYPERGRID_CPU_FEATURES_H

/// What the CPU this process runs on can execute, from CPUID and XGETBV.
///
/// Each answer is 1 only when the CPU has the instructions AND the operating system
/// saves the registers they use across context switches (XCR0), as the Intel SDM
/// requires before using them. On non-x86 machines both are 0.

/// AVX2 and FMA3 with the ymm state enabled: the x86-64-v3 kernels may run.
int hypergrid_cpu_has_avx2_fma(void);

/// AVX-512 F, CD, BW, DQ and VL with the opmask and zmm state enabled: the
/// x86-64-v4 kernels may run.
int hypergrid_cpu_has_avx512(void);

#endif
