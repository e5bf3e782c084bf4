import Testing
@testable import HypergridKernel

/// Softmax cross-entropy with label smoothing: the gradient of the plain pair, the loss
/// against a Double reference, the fused kernel's bits against the plain pair, and ε = 0.
@Suite struct LabelSmoothingTests {
    /// Mean cross-entropy against `(1 − ε)·onehot + ε/C`, in Double: MixUp's reference with
    /// every row mixed with itself (λ = 1).
    static func smoothedCrossEntropy(_ s: [Double], _ labels: [Int32], n: Int, c: Int, eps: Double) -> Double {
        MixUpTests.mixedCrossEntropy(s, labels, labels, n: n, c: c, lambda: 1, eps: eps)
    }

    @Test(arguments: [0.1, 0.3])
    func gradientAndLoss(eps: Double) {
        let (n, c) = (6, 5)
        let s = gaussianArray(n * c, seed: 11, std: 2).floats.doubles
        let labels = labelsArray(n, classes: c, seed: 12)
        var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
        softmaxCrossEntropySmoothedForward(probs: &probs, losses: &losses, scores: s.floats, labels: labels,
                                           n: n, c: c, smoothing: Float(eps))
        var ds = [Float](repeating: 0, count: n * c)
        softmaxCrossEntropySmoothedBackward(dScores: &ds, probs: probs, labels: labels, n: n, c: c,
                                            smoothing: Float(eps))
        expectGradient(ds, numericalGradient(at: s) { Self.smoothedCrossEntropy($0, labels, n: n, c: c, eps: eps) },
                       "smoothed softmax-CE dScores")
        #expect(abs(meanLoss(losses, n: n) - Self.smoothedCrossEntropy(s, labels, n: n, c: c, eps: eps)) < 1e-5)
        // Each row's gradient sums to 0 (both distributions sum to 1).
        for r in 0..<n { #expect(abs(ds[(r * c)..<(r * c + c)].reduce(0, +)) < 1e-6) }
    }

    /// ε = 0 is the unsmoothed loss, bit for bit.
    @Test func zeroSmoothingIsThePlainLoss() {
        let (n, c) = (7, 10)
        let s = gaussianArray(n * c, seed: 3, std: 3).floats
        let labels = labelsArray(n, classes: c, seed: 4)
        var p1 = [Float](repeating: 0, count: n * c), l1 = [Float](repeating: 0, count: n)
        var p2 = p1, l2 = l1
        softmaxCrossEntropyForward(probs: &p1, losses: &l1, scores: s, labels: labels, n: n, c: c)
        softmaxCrossEntropySmoothedForward(probs: &p2, losses: &l2, scores: s, labels: labels, n: n, c: c, smoothing: 0)
        #expect(p1 == p2 && l1 == l2)
    }

    /// Row counts with full and short blocks of 8 rows; class counts with and without tails.
    @Test(arguments: [(7, 11), (19, 10), (16, 8), (3, 1), (9, 3)])
    func fusedMatchesPlain(rows n: Int, classes c: Int) {
        let eps: Float = 0.1
        let raw = gaussianArray(n * c, seed: 10, std: 3).floats
        let bias = gaussianArray(c, seed: 11).floats
        let labels = labelsArray(n, classes: c, seed: 12)
        var scores = raw
        addRowVector(&scores, bias, rows: n, columns: c)
        var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
        softmaxCrossEntropySmoothedForward(probs: &probs, losses: &losses, scores: scores, labels: labels,
                                           n: n, c: c, smoothing: eps)
        let plainLoss = meanLoss(losses, n: n)
        var plainGrad = [Float](repeating: 0, count: n * c)
        softmaxCrossEntropySmoothedBackward(dScores: &plainGrad, probs: probs, labels: labels, n: n, c: c,
                                            smoothing: eps)
        var fused = raw
        let fusedLoss = softmaxCrossEntropySmoothedFused(&fused, bias: bias, labels: labels, n: n, c: c,
                                                         smoothing: eps)
        #expect(fusedLoss == plainLoss && fused == plainGrad)
    }
}
