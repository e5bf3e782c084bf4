#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Softmax cross-entropy against MixUp's mixed targets (MixUp.swift), with optional label
// smoothing ε: row i with label a and partner label b has the target
//
//     q_j = (1 − ε)·(λ·[j = a] + (1 − λ)·[j = b]) + ε/C,
//
// so its loss is the mixture λ·CE(a) + (1 − λ)·CE(b) of the (smoothed) losses:
//
//     −Σ_j q_j·log p_j = lse − (1 − ε)·(λ·t_a + (1 − λ)·t_b) − (ε/C)·Σ_j t_j,
//
// with t = s − max(s) and lse = log Σ exp t, and its gradient is `(p − q)/N`.
//
// As for the other losses: a plain forward/backward pair is the specification and the fused
// kernel (bias, loss and dScores in place, exponentials eight at a time) is bit-identical to
// it (tested). Without MixUp the MLP calls the unmixed functions, whose bits stay as they were.

/// The weights of a mixed row's two labels and of the uniform part, each rounded to Float
/// once: `ownWeight = (1 − ε)·λ`, `partnerWeight = (1 − ε)·(1 − λ)`, `spread = ε/C`.
struct MixedTargets {
    let ownWeight: Float
    let partnerWeight: Float
    let spread: Float

    init(lambda: Float, smoothing: Float, classes c: Int) {
        let keep = 1 - smoothing
        ownWeight = keep * lambda
        partnerWeight = keep * (1 - lambda)
        spread = smoothing / Float(c)
    }

    /// q_j of a row whose labels are `a` and `b` (`a == b` adds both weights).
    @inline(__always)
    func target(_ j: Int, own a: Int, partner b: Int) -> Float {
        spread + ((j == a ? ownWeight : 0) + (j == b ? partnerWeight : 0))
    }

    /// The row's loss from its shifted scores' lse, label scores and sum.
    @inline(__always)
    func loss(logSum: Float, ownScore: Float, partnerScore: Float, shiftedSum: Float) -> Float {
        logSum - ((ownWeight * ownScore + partnerWeight * partnerScore) + spread * shiftedSum)
    }
}

/// Plain forward against mixed targets.
///
///     // scores: [N × C], labels, partners: [N] in 0..<C
///     // probs: [N × C] softmax of each row; losses: [N] per-row mixed cross-entropy
public func softmaxCrossEntropyMixedForward(probs: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                                            scores: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                            partners: UnsafePointer<Int32>, n: Int, c: Int,
                                            lambda: Float, smoothing: Float) {
    let q = MixedTargets(lambda: lambda, smoothing: smoothing, classes: c)
    for i in 0..<n {
        let s = scores + i * c, p = probs + i * c
        var rowMax = s[0]
        for j in 1..<max(c, 1) where s[j] > rowMax { rowMax = s[j] }
        var sum: Float = 0, shiftedSum: Float = 0
        for j in 0..<c {
            let t = s[j] - rowMax
            shiftedSum = shiftedSum + t
            p[j] = exponential(t)
            sum = sum + p[j]
        }
        for j in 0..<c { p[j] = p[j] / sum }
        losses[i] = q.loss(logSum: logf(sum), ownScore: s[Int(labels[i])] - rowMax,
                           partnerScore: s[Int(partners[i])] - rowMax, shiftedSum: shiftedSum)
    }
}

/// Plain backward against mixed targets: `dScores = (probs − q) / N`.
///
///     // probs, dScores: [N × C] (may alias), labels, partners: [N]
public func softmaxCrossEntropyMixedBackward(dScores: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
                                             labels: UnsafePointer<Int32>, partners: UnsafePointer<Int32>,
                                             n: Int, c: Int, lambda: Float, smoothing: Float) {
    let q = MixedTargets(lambda: lambda, smoothing: smoothing, classes: c)
    let invN = 1 / Float(n)
    for i in 0..<n {
        let p = probs + i * c, d = dScores + i * c
        let (a, b) = (Int(labels[i]), Int(partners[i]))
        for j in 0..<c { d[j] = (p[j] - q.target(j, own: a, partner: b)) * invN }
    }
}

/// Fused output layer against mixed targets: adds the bias to the raw scores, computes the
/// mean mixed cross-entropy and overwrites the scores with `dScores = (softmax − q) / N`.
/// Bit-identical to `addRowVector`, `softmaxCrossEntropyMixedForward`, `meanLoss`,
/// `softmaxCrossEntropyMixedBackward`.
///
///     // scores: [N × C] in: X·W (without bias), out: dScores; bias: [C]; labels, partners: [N]
///     // returns the mean loss over the N rows
public func softmaxCrossEntropyMixedFused(_ scores: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                          labels: UnsafePointer<Int32>, partners: UnsafePointer<Int32>,
                                          n: Int, c: Int, lambda: Float, smoothing: Float) -> Double {
    let q = MixedTargets(lambda: lambda, smoothing: smoothing, classes: c)
    let invN = 1 / Float(n)
    var total: Double = 0
    // Blocks of 8 rows, as `softmaxCrossEntropyFused`: their 8·c shifted scores are
    // contiguous, so the exponentials run eight at a time.
    var first = 0
    while first < n {
        let rows = min(8, n - first)
        let block = scores + first * c
        var ownScores = SIMD8<Float>(repeating: 0), partnerScores = SIMD8<Float>(repeating: 0)
        var shiftedSums = SIMD8<Float>(repeating: 0)
        for r in 0..<rows {
            let s = block + r * c
            var rowMax = -Float.infinity
            for j in 0..<c {
                let v = s[j] + bias[j]
                s[j] = v
                if j == 0 || v > rowMax { rowMax = v }
            }
            var shiftedSum: Float = 0   // left to right, as the plain path
            for j in 0..<c {
                let t = s[j] - rowMax
                s[j] = t
                shiftedSum = shiftedSum + t
            }
            ownScores[r] = s[Int(labels[first + r])]
            partnerScores[r] = s[Int(partners[first + r])]
            shiftedSums[r] = shiftedSum
        }
        exponentiateInPlace(block, count: rows * c)
        for r in 0..<rows {
            let s = block + r * c
            let (a, b) = (Int(labels[first + r]), Int(partners[first + r]))
            var sum: Float = 0
            for j in 0..<c { sum = sum + s[j] }
            for j in 0..<c { s[j] = (s[j] / sum - q.target(j, own: a, partner: b)) * invN }
            total += Double(q.loss(logSum: logf(sum), ownScore: ownScores[r], partnerScore: partnerScores[r],
                                   shiftedSum: shiftedSums[r]))
        }
        first += rows
    }
    return total / Double(n)
}
