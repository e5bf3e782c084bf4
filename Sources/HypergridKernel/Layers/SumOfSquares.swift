// `Σ x²` for the L2 penalty, in an order fixed by the data alone (not by the vector
// width or the number of threads):
//
//   - the floats are cut into blocks of `squareSumBlock` (4,096) from the start;
//   - within a block, element i adds its square to partial (i mod 32) — 32 chains
//     from 0, each left to right — and the block's sum is partials 0…31 added left
//     to right from 0;
//   - the total is the block sums added left to right from 0, in Float.
//
// Numerics changed here (HypergridVersion.numerics): it was 8 partials over the whole
// tensor, a single chain of latency-bound additions (~120 µs per step over the 786k
// weights of a D = 3072 net, on one thread however many the step had). 32 chains keep
// the adds in flight, and blocks let a team compute block sums in parallel and still
// add them in block order. Only the recorded loss's L2 term depends on this sum; the
// gradients (`+ 2·reg·w`) and so the trained weights do not.

/// Floats per block of ``sumOfSquares(_:count:)``.
public let squareSumBlock = 4_096

/// `Σ x²` over `count` floats in the fixed order above.
///
///     // x: [count]
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var total: Float = 0
    var start = 0
    while start < count {
        total = total + blockSumOfSquares(x + start, count: min(squareSumBlock, count - start))
        start += squareSumBlock
    }
    return total
}

/// One block (`count ≤ squareSumBlock`): partial (i mod 32), then partials 0…31.
@inline(__always)
func blockSumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
    typealias V = SIMD8<Float>
    // Partial 8q + l is lane l of p[q].
    var p0 = V(), p1 = V(), p2 = V(), p3 = V()
    @inline(__always) func load(_ i: Int) -> V { UnsafeRawPointer(x + i).loadUnaligned(as: V.self) }
    var i = 0
    while i + 32 <= count {
        let (a, b, c, d) = (load(i), load(i + 8), load(i + 16), load(i + 24))
        p0 = p0 + a * a
        p1 = p1 + b * b
        p2 = p2 + c * c
        p3 = p3 + d * d
        i += 32
    }
    while i < count {   // the tail: element i to partial i mod 32
        let v = x[i] * x[i]
        switch (i >> 3) & 3 {
        case 0: p0[i & 7] = p0[i & 7] + v
        case 1: p1[i & 7] = p1[i & 7] + v
        case 2: p2[i & 7] = p2[i & 7] + v
        default: p3[i & 7] = p3[i & 7] + v
        }
        i += 1
    }
    var total: Float = 0
    for lane in 0..<8 { total = total + p0[lane] }
    for lane in 0..<8 { total = total + p1[lane] }
    for lane in 0..<8 { total = total + p2[lane] }
    for lane in 0..<8 { total = total + p3[lane] }
    return total
}

/// The team job of `MLP.weightSquareSum`: sums of squares of whole blocks of one tensor.
final class SquareSumJob: RangeJob {
    private var x: UnsafePointer<Float>? = nil
    private var count = 0
    /// Receives block `b`'s sum at `[b]`.
    private var sums: UnsafeMutablePointer<Float>? = nil

    func set(_ x: UnsafePointer<Float>, count: Int, sums: UnsafeMutablePointer<Float>) {
        (self.x, self.count, self.sums) = (x, count, sums)
    }

    /// `range` is a range of block indices.
    override func run(range: Range<Int>) {
        for b in range {
            let start = b * squareSumBlock
            sums![b] = blockSumOfSquares(x! + start, count: min(squareSumBlock, count - start))
        }
    }
}
