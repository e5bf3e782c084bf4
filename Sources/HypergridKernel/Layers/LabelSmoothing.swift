#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Softmax cross-entropy against label-smoothed targets (Szegedy et al. 2016, "Rethinking the
// Inception Architecture", §7): the target of a row with label y is
// `q_j = (1 − ε)·[j = y] + ε/C` instead of the one-hot vector, so the loss is
//
//     −Σ_j q_j·log p_j = lse − (1 − ε)·t_y − (ε/C)·Σ_j t_j,   t = s − max(s), lse = log Σ exp t
//
// (Σ q_j = 1), and its gradient with respect to the scores is `(p − q)/N`.
//
// As for the plain loss (SoftmaxCrossEntropy.swift, llm.c style): a plain forward/backward pair
// is the specification, and `softmaxCrossEntropySmoothedFused` adds the output bias, computes
// the loss and overwrites the scores with dScores in place, vectorising the exponentials
// across rows, bit-identical to the pair (tested). With ε = 0 the MLP calls the unsmoothed
// functions, so that training without smoothing keeps its bits.

/// The two target values of a smoothed row: `ε/C` off the label, `1 − ε + ε/C` on it, and
/// the weights `1 − ε` and `ε/C` of the loss's two terms, all rounded to Float once.
struct SmoothedTargets {
    let keep: Float      // 1 − ε
    let spread: Float    // ε / C
    let onLabel: Float   // 1 − ε + ε/C

    init(smoothing: Float, classes c: Int) {
        keep = 1 - smoothing
        spread = smoothing / Float(c)
        onLabel = keep + spread
    }
}

/// Plain forward with label smoothing `smoothing` (ε in [0, 1)).
///
///     // scores: [N × C], labels: [N] in 0..<C
///     // probs: [N × C] softmax of each row; losses: [N] per-row smoothed cross-entropy
public func softmaxCrossEntropySmoothedForward(probs: UnsafeMutablePointer<Float>,
                                               losses: UnsafeMutablePointer<Float>,
                                               scores: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                               n: Int, c: Int, smoothing: Float) {
    let q = SmoothedTargets(smoothing: smoothing, classes: c)
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
        losses[i] = logf(sum) - (q.keep * (s[Int(labels[i])] - rowMax) + q.spread * shiftedSum)
    }
}

/// Plain backward with label smoothing: `dScores = (probs − q) / N`.
///
///     // probs, dScores: [N × C] (may alias), labels: [N]
public func softmaxCrossEntropySmoothedBackward(dScores: UnsafeMutablePointer<Float>,
                                                probs: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                                n: Int, c: Int, smoothing: Float) {
    let q = SmoothedTargets(smoothing: smoothing, classes: c)
    let invN = 1 / Float(n)
    for i in 0..<n {
        let p = probs + i * c, d = dScores + i * c
        let y = Int(labels[i])
        for j in 0..<c { d[j] = (p[j] - (j == y ? q.onLabel : q.spread)) * invN }
    }
}

/// Fused output layer with label smoothing: adds the bias to the raw scores, computes the
/// mean smoothed cross-entropy and overwrites the scores with `dScores = (softmax − q) / N`.
/// Bit-identical to `addRowVector`, `softmaxCrossEntropySmoothedForward`, `meanLoss`,
/// `softmaxCrossEntropySmoothedBackward`.
///
/// It is MixUp's fused kernel with λ = 1 (every row mixed with itself at weight 0): its
/// targets `(1 − ε)·1 + ε/C` and `ε/C` and its loss are then these, term for term and bit for
/// bit (MixUpLoss.swift; tested through the plain pairs), so the block loop exists once.
///
///     // scores: [N × C] in: X·W (without bias), out: dScores; bias: [C]; labels: [N]
///     // returns the mean loss over the N rows
public func softmaxCrossEntropySmoothedFused(_ scores: UnsafeMutablePointer<Float>,
                                             bias: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                             n: Int, c: Int, smoothing: Float) -> Double {
    softmaxCrossEntropyMixedFused(scores, bias: bias, labels: labels, partners: labels, n: n, c: c,
                                  lambda: 1, smoothing: smoothing)
}
