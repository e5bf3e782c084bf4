#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

#if HYPERGRID_AVX512
typealias PeakVector = SIMD16<Float>
#else
typealias PeakVector = SIMD8<Float>
#endif

/// Measured single-core FMA throughput in GFLOP/s: 12 independent vector FMA
/// chains, `PeakVector` wide. 12 covers 2 FMA ports × 4 cycles latency and,
/// with the two operands, still fits the 16 ymm registers (16 chains spill).
@inline(never)
func measurePeak(seconds: Double) -> Double {
    let x = PeakVector(repeating: 1.0e-7)
    let y = PeakVector(repeating: 0.5)
    let one = PeakVector(repeating: 1)
    var a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one
    var a6 = one, a7 = one, a8 = one, a9 = one, a10 = one, a11 = one
    var best = 0.0
    let iterations = 1 << 20
    let deadline = now() + seconds
    repeat {
        let t0 = now()
        for _ in 0..<iterations {
            a0.addProduct(x, y); a1.addProduct(x, y); a2.addProduct(x, y)
            a3.addProduct(x, y); a4.addProduct(x, y); a5.addProduct(x, y)
            a6.addProduct(x, y); a7.addProduct(x, y); a8.addProduct(x, y)
            a9.addProduct(x, y); a10.addProduct(x, y); a11.addProduct(x, y)
        }
        let dt = now() - t0
        let flops = Double(iterations * 12 * PeakVector.scalarCount * 2)
        best = max(best, flops / dt / 1e9)
    } while now() < deadline
    // Keep the chains observable so the loop cannot be dropped.
    let total = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11].reduce(0) { $0 + $1.sum() }
    if total == -1 { print("") }
    return best
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
