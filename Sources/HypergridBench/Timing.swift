#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HypergridKernel

/// Which clock `now()` reads. The default is this thread's CPU time: on a
/// shared machine it stops while another process has our core, so the
/// figures measure the code rather than the neighbours' builds. `--wall`
/// switches to the monotonic wall clock.
nonisolated(unsafe) var benchClock = CLOCK_THREAD_CPUTIME_ID

/// Seconds on `benchClock`.
func now() -> Double {
    var ts = timespec()
    clock_gettime(benchClock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Calls per timed sample so that one sample lasts about `target` seconds.
func callsPerSample(target: Double, _ body: () -> Void) -> Int {
    var calls = 1
    while true {
        let t0 = now()
        for _ in 0..<calls { body() }
        let dt = now() - t0
        if dt >= target / 4 || calls >= 1 << 20 {
            return max(1, Int((Double(calls) * target / max(dt, 1e-9)).rounded(.up)))
        }
        calls *= 2
    }
}

/// One core's FMA peak in GFLOP/s with the active GEMM path's vector width, on `benchClock`.
func measurePeak(seconds: Double) -> Double {
    GEMMKernelPath.active.peakGFLOPS(seconds: seconds, clock: now)
}

/// `s` padded with spaces to `w` characters (right-aligned unless `left`).
func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
    let p = String(repeating: " ", count: max(0, w - s.count))
    return left ? s + p : p + s
}

/// `x` with `digits` decimals (no Foundation formatting).
func fmt(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var s = String(Int((abs(x) * pow10(digits)).rounded()))
    if digits > 0 {
        while s.count <= digits { s = "0" + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
    }
    return x < 0 ? "-" + s : s
}

func pow10(_ d: Int) -> Double { (0..<d).reduce(1.0) { x, _ in x * 10 } }
