#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
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

/// Measured single-core FMA throughput in GFLOP/s: 16 independent vector FMA
/// chains (enough to hide the latency on two FMA ports), `PeakVector` wide.
@inline(never)
func measurePeak(seconds: Double) -> Double {
    let x = PeakVector(repeating: 1.0e-7)
    let y = PeakVector(repeating: 0.5)
    var acc = [PeakVector](repeating: PeakVector(repeating: 1), count: 16)
    var best = 0.0
    let iterations = 1 << 20
    let deadline = now() + seconds
    repeat {
        var a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3]
        var a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7]
        var a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11]
        var a12 = acc[12], a13 = acc[13], a14 = acc[14], a15 = acc[15]
        let t0 = now()
        for _ in 0..<iterations {
            a0.addProduct(x, y); a1.addProduct(x, y); a2.addProduct(x, y); a3.addProduct(x, y)
            a4.addProduct(x, y); a5.addProduct(x, y); a6.addProduct(x, y); a7.addProduct(x, y)
            a8.addProduct(x, y); a9.addProduct(x, y); a10.addProduct(x, y); a11.addProduct(x, y)
            a12.addProduct(x, y); a13.addProduct(x, y); a14.addProduct(x, y); a15.addProduct(x, y)
        }
        let dt = now() - t0
        acc = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15]
        let flops = Double(iterations * 16 * PeakVector.scalarCount * 2)
        best = max(best, flops / dt / 1e9)
    } while now() < deadline
    // Keep the chains observable so the loop cannot be dropped.
    if acc.reduce(0, { $0 + $1.sum() }) == -1 { print("") }
    return best
}
