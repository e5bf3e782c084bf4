// The calibration the benchmarks divide by: the FMA throughput one core reaches
// with this copy's vector width. It lives here, not in the benchmark, because it
// must be compiled with the same target flags as the kernels it is compared with.

extension GEMMKernels {
    /// The best single-thread FMA rate in GFLOP/s over `seconds` of `clock` (seconds):
    /// 12 independent vector FMA chains, ``lanes`` wide. 12 covers 2 FMA ports × 4 cycles
    /// latency and, with the two operands, still fits the 16 ymm registers.
    @inline(never)
    public static func peakGFLOPS(seconds: Double, clock: () -> Double) -> Double {
        let x = GEMMVector(repeating: 1.0e-7)
        let y = GEMMVector(repeating: 0.5)
        let one = GEMMVector(repeating: 1)
        var a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one
        var a6 = one, a7 = one, a8 = one, a9 = one, a10 = one, a11 = one
        var best = 0.0
        let iterations = 1 << 20
        let deadline = clock() + seconds
        repeat {
            let t0 = clock()
            for _ in 0..<iterations {
                a0.addProduct(x, y); a1.addProduct(x, y); a2.addProduct(x, y)
                a3.addProduct(x, y); a4.addProduct(x, y); a5.addProduct(x, y)
                a6.addProduct(x, y); a7.addProduct(x, y); a8.addProduct(x, y)
                a9.addProduct(x, y); a10.addProduct(x, y); a11.addProduct(x, y)
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
