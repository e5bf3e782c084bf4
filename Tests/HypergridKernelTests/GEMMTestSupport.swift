import Testing
@testable import HypergridKernel

/// A deterministic generator (64-bit LCG) so every failure reproduces.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Mixed signs and magnitudes (2^-20 … 2^20), plus exact zeros of both
    /// signs and small integers, so rounding differences in any FMA would show.
    mutating func mixed() -> Float {
        switch next() % 16 {
        case 0: return 0
        case 1: return -0.0
        case 2: return Float(Int(next() % 7) - 3)
        default:
            let sign: Float = next() % 2 == 0 ? 1 : -1
            let exponent = Int(next() % 41) - 20
            return sign * (1 + unit()) * Float(sign: .plus, exponent: exponent, significand: 1)
        }
    }
}

/// One GEMM problem with its operands stored in row-major buffers whose row
/// strides exceed the logical widths by `pad` (submatrix views). The padding
/// holds a sentinel so reads or writes past the view show up.
struct GEMMProblem {
    let layout: GEMMLayout
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int
    var a: [Float], b: [Float], c: [Float]

    static let sentinel = Float.nan

    init(_ layout: GEMMLayout, m: Int, n: Int, k: Int, pad: Int = 0, seed: UInt64 = 1) {
        self.layout = layout
        self.m = m; self.n = n; self.k = k
        // A is m×k (.nn/.nt) or k×m (.tn); B is k×n (.nn/.tn) or n×k (.nt).
        let (aRows, aCols) = layout == .tn ? (k, m) : (m, k)
        let (bRows, bCols) = layout == .nt ? (n, k) : (k, n)
        lda = aCols + pad; ldb = bCols + pad; ldc = n + pad
        var rng = TestRandom(seed: seed)
        func matrix(_ rows: Int, _ cols: Int, _ ld: Int) -> [Float] {
            var x = [Float](repeating: GEMMProblem.sentinel, count: max(1, rows * ld))
            for i in 0..<rows { for j in 0..<cols { x[i * ld + j] = rng.mixed() } }
            return x
        }
        a = matrix(aRows, aCols, lda)
        b = matrix(bRows, bCols, ldb)
        c = matrix(m, n, ldc)
    }

    /// C's bit patterns after `referenceGEMM` from the initial C.
    func expected(accumulate: Bool) -> [UInt32] {
        var out = c
        referenceGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      c: &out, ldc: ldc, accumulate: accumulate)
        return out.map(\.bitPattern)
    }

    /// C's bit patterns after `body` ran on the initial C (bit patterns, so
    /// -0 vs +0 counts as a difference and the NaN padding compares equal).
    func actual(_ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
        -> [UInt32] {
        var out = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    body(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                }
            }
        }
        return out.map(\.bitPattern)
    }

    /// Reference and function under test from the same start.
    func run(accumulate: Bool,
             _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
        -> (expected: [UInt32], actual: [UInt32]) {
        (expected(accumulate: accumulate), actual(body))
    }
}

struct GEMMShape: CustomTestStringConvertible, Sendable {
    let m: Int, n: Int, k: Int
    var pad = 0
    var testDescription: String { "\(m)×\(n)×\(k)" + (pad > 0 ? " ld+\(pad)" : "") }
}
