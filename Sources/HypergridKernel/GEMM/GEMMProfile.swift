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
/// Fused entry points that finish a layer inside the GEMM's store (bias, ReLU)
/// count that work as GEMM time.
public enum GEMMProfile {
    /// Set before a measurement; not synchronised, so set it while no GEMM runs.
    nonisolated(unsafe) public static var isEnabled = false

    /// Nanoseconds the calling thread spent in GEMM calls since its last ``reset()``.
    public static var nanoseconds: UInt64 { GEMMWorkspace.current.profileNanoseconds }

    /// Zeroes the calling thread's counter.
    public static func reset() { GEMMWorkspace.current.profileNanoseconds = 0 }

    @inline(__always)
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Runs `body`, adding its wall time to the calling thread's counter when enabled.
    @inline(__always)
    static func timed(_ body: () -> Void) {
        guard isEnabled else { body(); return }
        let start = now()
        body()
        GEMMWorkspace.current.profileNanoseconds &+= now() &- start
    }
}
