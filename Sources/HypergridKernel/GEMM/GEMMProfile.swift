#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opt-in timing of GEMM calls, for benchmarks that report the share of a training
/// step spent in matrix products.
///
/// When ``isEnabled`` is true, every public `gemm` entry point adds the wall time
/// it took (monotonic clock, two reads per call) to a per-thread counter kept in
/// ``GEMMWorkspace/current``; a multi-threaded call counts once, on the calling
/// thread. When false (the default) the cost is one load and branch per call.
/// Fused entry points that finish a layer inside the GEMM's store (bias, ReLU,
/// BatchNorm's backward) count that work as GEMM time.
///
/// For the benchmarks' breakdown of a training step it also counts, separately,
/// the GEMMs with a dimension of at most ``narrowDimension`` (the 10-class output
/// layer's three products) and the optimizer's update (``Optimizer/step(learningRate:reg:team:)``).
public enum GEMMProfile {
    /// Set before a measurement; not synchronised, so set it while no GEMM runs.
    nonisolated(unsafe) public static var isEnabled = false

    /// GEMMs with `min(m, n, k)` at most this count as narrow.
    public static let narrowDimension = 16

    /// Nanoseconds the calling thread spent in GEMM calls since its last ``reset()``.
    public static var nanoseconds: UInt64 { GEMMWorkspace.current.profileNanoseconds }

    /// The part of ``nanoseconds`` spent in narrow GEMMs (see ``narrowDimension``).
    public static var narrowNanoseconds: UInt64 { GEMMWorkspace.current.profileNarrowNanoseconds }

    /// Nanoseconds the calling thread spent in optimizer steps since its last ``reset()``.
    public static var optimizerNanoseconds: UInt64 { GEMMWorkspace.current.profileOptimizerNanoseconds }

    /// Zeroes the calling thread's counters.
    public static func reset() {
        let w = GEMMWorkspace.current
        (w.profileNanoseconds, w.profileNarrowNanoseconds, w.profileOptimizerNanoseconds) = (0, 0, 0)
    }

    @inline(__always)
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Runs the GEMM `body` of shape m×n×k, adding its wall time to the calling thread's
    /// counters when enabled.
    @inline(__always)
    static func timed(m: Int, n: Int, k: Int, _ body: () -> Void) {
        guard isEnabled else { body(); return }
        let start = now()
        body()
        let elapsed = now() &- start
        let w = GEMMWorkspace.current
        w.profileNanoseconds &+= elapsed
        if min(m, n, k) <= narrowDimension { w.profileNarrowNanoseconds &+= elapsed }
    }

    /// Runs the optimizer step `body`, adding its wall time to the calling thread's
    /// optimizer counter when enabled.
    @inline(__always)
    static func timedOptimizer(_ body: () -> Void) {
        guard isEnabled else { body(); return }
        let start = now()
        body()
        GEMMWorkspace.current.profileOptimizerNanoseconds &+= now() &- start
    }
}
