// The calibration the benchmarks divide by: the FMA throughput one core reaches
// with this copy's vector width. It lives here, not in the benchmark, because it
// must be compiled with the same target flags as the kernels it is compared with.

#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// `acc + x·y` as one FMA instruction. The intrinsic, not `addProduct`: with loop-invariant
/// operands LLVM rewrote the `addProduct` chains into xmm-sized pieces and shuffles (a
/// tenth of the rate).
@inline(__always)
private func fma(_ x: GEMMVector, _ y: GEMMVector, _ acc: GEMMVector) -> GEMMVector {
    #if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
    #if HYPERGRID_AVX512
    return _mm512_fmadd_ps(x, y, acc)
    #else
    return _mm256_fmadd_ps(x, y, acc)
    #endif
    #else
    return acc.addingProduct(x, y)
    #endif
}

extension GEMMKernels {
    /// The best single-thread FMA rate in GFLOP/s over `seconds` of `clock` (seconds):
    /// 12 independent vector FMA chains, ``lanes`` wide. 12 covers 2 FMA ports × 4 cycles
    /// latency and, with the two operands, still fits the 16 ymm registers.
    @inline(never)
    public static func peakGFLOPS(seconds: Double, clock: () -> Double) -> Double {
        // Operands LLVM cannot fold (lanes differ and depend on a run-time value), so the
        // loop stays 12 independent full-width FMA chains.
        let unknown = Float(clock() * 0)
        var x = GEMMVector(), y = GEMMVector(), one = GEMMVector()
        for lane in 0..<GEMMVector.scalarCount {
            x[lane] = 1.0e-7 * Float(lane + 1) + unknown
            y[lane] = 0.5 - 0.01 * Float(lane) + unknown
            one[lane] = 1 + Float(lane) + unknown
        }
        var a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one
        var a6 = one, a7 = one, a8 = one, a9 = one, a10 = one, a11 = one
        var best = 0.0
        let iterations = 1 << 20
        let deadline = clock() + seconds
        repeat {
            let t0 = clock()
            for _ in 0..<iterations {
                a0 = fma(x, y, a0); a1 = fma(x, y, a1); a2 = fma(x, y, a2)
                a3 = fma(x, y, a3); a4 = fma(x, y, a4); a5 = fma(x, y, a5)
                a6 = fma(x, y, a6); a7 = fma(x, y, a7); a8 = fma(x, y, a8)
                a9 = fma(x, y, a9); a10 = fma(x, y, a10); a11 = fma(x, y, a11)
            }
            let dt = clock() - t0
            let flops = Double(iterations * 12 * GEMMVector.scalarCount * 2)
            best = max(best, flops / dt / 1e9)
        } while clock() < deadline
        // Keep the chains observable so the loop cannot be dropped.
        var total = a0 + a1 + a2 + a3 + a4 + a5
        total += a6 + a7 + a8 + a9 + a10 + a11
        if total.sum() == -1 { best = -1 }
        return best
    }
}
