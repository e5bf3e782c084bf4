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
///     // scores: [N × C] in: X·W (without bias), out: dScores; bias: [C]; labels: [N]
///     // returns the mean loss over the N rows
public func softmaxCrossEntropySmoothedFused(_ scores: UnsafeMutablePointer<Float>,
                                             bias: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                             n: Int, c: Int, smoothing: Float) -> Double {
    let q = SmoothedTargets(smoothing: smoothing, classes: c)
    let invN = 1 / Float(n)
    var total: Double = 0
    // Blocks of 8 rows, as `softmaxCrossEntropyFused`: their 8·c shifted scores are
    // contiguous, so the exponentials run eight at a time.
    var first = 0
    while first < n {
        let rows = min(8, n - first)
        let block = scores + first * c
        var shiftedLabelScores = SIMD8<Float>(repeating: 0)
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
            shiftedLabelScores[r] = s[Int(labels[first + r])]
            shiftedSums[r] = shiftedSum
        }
        let count = rows * c
        var k = 0
        while k + 8 <= count {
            let v = UnsafeRawPointer(block + k).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(block + k).storeBytes(of: exponential(v), as: SIMD8<Float>.self)
            k += 8
        }
        while k < count {
            block[k] = exponential(block[k])
            k += 1
        }
        for r in 0..<rows {
            let s = block + r * c
            let y = Int(labels[first + r])
            var sum: Float = 0
            for j in 0..<c { sum = sum + s[j] }
            for j in 0..<c { s[j] = (s[j] / sum - (j == y ? q.onLabel : q.spread)) * invN }
            total += Double(logf(sum) - (q.keep * shiftedLabelScores[r] + q.spread * shiftedSums[r]))
        }
        first += rows
    }
    return total / Double(n)
}
