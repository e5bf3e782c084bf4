#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Softmax cross-entropy averaged over the batch, and its gradient.
//
// Numerically stable: each row is shifted by its maximum before `exp`, and the loss is
// computed as `log Σ exp(s − max) − (s_y − max)` (log-sum-exp) rather than `−log p_y`,
// which would be `inf` whenever p_y underflows to 0.
//
// The plain pair (forward writing probabilities and per-row losses, backward reading them)
// is the specification; `softmaxCrossEntropyFused` adds the output bias, computes the
// loss and overwrites the scores with dScores in place, vectorising the exponentials
// across rows, bit-identical. Both use `exponential` (ours, vectorised), not libm's expf.

/// Plain forward.
///
///     // scores: [N × C], labels: [N] in 0..<C
///     // probs: [N × C] softmax of each row; losses: [N] per-row cross-entropy
public func softmaxCrossEntropyForward(probs: UnsafeMutablePointer<Float>,
                                       losses: UnsafeMutablePointer<Float>,
                                       scores: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                       n: Int, c: Int) {
    for i in 0..<n {
        let s = scores + i * c, p = probs + i * c
        var rowMax = s[0]
        for j in 1..<max(c, 1) where s[j] > rowMax { rowMax = s[j] }
        var sum: Float = 0
        for j in 0..<c {
            p[j] = exponential(s[j] - rowMax)
            sum = sum + p[j]
        }
        for j in 0..<c { p[j] = p[j] / sum }
        losses[i] = logf(sum) - (s[Int(labels[i])] - rowMax)
    }
}

/// The batch mean of per-row losses, summed in Double in row order.
///
///     // losses: [N]
public func meanLoss(_ losses: UnsafePointer<Float>, n: Int) -> Double {
    var total: Double = 0
    for i in 0..<n { total += Double(losses[i]) }
    return total / Double(n)
}

/// Plain backward: `dScores = (probs − onehot(labels)) / N`.
///
///     // probs, dScores: [N × C] (may alias), labels: [N]
public func softmaxCrossEntropyBackward(dScores: UnsafeMutablePointer<Float>,
                                        probs: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                        n: Int, c: Int) {
    let invN = 1 / Float(n)
    for i in 0..<n {
        let p = probs + i * c, d = dScores + i * c
        let y = Int(labels[i])
        for j in 0..<c { d[j] = (p[j] - (j == y ? 1 : 0)) * invN }
    }
}

/// Fused output layer: adds the bias to the raw scores, computes the mean cross-entropy
/// and overwrites the scores with `dScores = (softmax − onehot) / N`. Bit-identical to
/// `addRowVector`, `softmaxCrossEntropyForward`, `meanLoss`, `softmaxCrossEntropyBackward`.
///
///     // scores: [N × C] in: X·W (without bias), out: dScores; bias: [C]; labels: [N]
///     // returns the mean loss over the N rows
public func softmaxCrossEntropyFused(_ scores: UnsafeMutablePointer<Float>,
                                     bias: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                     n: Int, c: Int) -> Double {
    let invN = 1 / Float(n)
    var total: Double = 0
    // Blocks of 8 rows: their 8·c scores are contiguous, a whole number of vectors, so
    // the exponentials run eight at a time with no ragged row ends (only a last, short
    // block can have a tail).
    var first = 0
    while first < n {
        let rows = min(8, n - first)
        let block = scores + first * c
        var shiftedLabelScores = SIMD8<Float>(repeating: 0)
        for r in 0..<rows {
            let s = block + r * c
            var rowMax = -Float.infinity
            for j in 0..<c {
                let v = s[j] + bias[j]
                s[j] = v
                // The plain path starts from s[0]; with a NaN s[0] both keep NaN as the
                // max (nothing compares greater), with a finite s[0] both find the same.
                if j == 0 || v > rowMax { rowMax = v }
            }
            for j in 0..<c { s[j] = s[j] - rowMax }
            shiftedLabelScores[r] = s[Int(labels[first + r])]
        }
        exponentiateInPlace(block, count: rows * c)
        for r in 0..<rows {
            let s = block + r * c
            let y = Int(labels[first + r])
            var sum: Float = 0   // a left-to-right chain, as in the plain path
            for j in 0..<c { sum = sum + s[j] }
            for j in 0..<c { s[j] = (s[j] / sum - (j == y ? 1 : 0)) * invN }
            total += Double(logf(sum) - shiftedLabelScores[r])
        }
        first += rows
    }
    return total / Double(n)
}

/// Index of the largest score of each row (the first one on ties, as numpy's `argmax`),
/// after adding `bias`.
///
///     // scores: [N × C], bias: [C] or nil, out: [N]
public func argmaxRows(_ out: UnsafeMutablePointer<Int32>, scores: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, n: Int, c: Int) {
    for i in 0..<n {
        let s = scores + i * c
        var best = 0
        var bestValue = s[0] + (bias?[0] ?? 0)
        for j in 1..<max(c, 1) {
            let v = s[j] + (bias?[j] ?? 0)
            if v > bestValue { best = j; bestValue = v }
        }
        out[i] = Int32(truncatingIfNeeded: best)
    }
}
