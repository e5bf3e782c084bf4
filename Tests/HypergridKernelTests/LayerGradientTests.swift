#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import HypergridKernel

// Central-difference checks of every layer's backward pass (see GradientCheckSupport for
// the method and the tolerance). A layer `Y = f(X)` is checked through the scalar
// `Σ G ⊙ f(X)` for a fixed random upstream gradient G, whose gradient is the layer's
// backward applied to G.

/// Double references of the layer forwards.
enum DoubleLayers {
    static func affine(_ x: [Double], _ w: [Double], _ b: [Double], n: Int, i: Int, o: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * o)
        for r in 0..<n {
            for j in 0..<o {
                var acc = b[j]
                for p in 0..<i { acc += x[r * i + p] * w[p * o + j] }
                y[r * o + j] = acc
            }
        }
        return y
    }

    /// BatchNorm1d in training mode: batch mean, biased variance, ε 1e-5.
    static func batchNorm(_ z: [Double], _ gamma: [Double], _ beta: [Double], n: Int, c: Int) -> [Double] {
        var y = z
        for j in 0..<c {
            let column = (0..<n).map { z[$0 * c + j] }
            let mean = column.reduce(0, +) / Double(n)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            let rstd = 1 / (variance + 1e-5).squareRoot()
            for r in 0..<n { y[r * c + j] = gamma[j] * (z[r * c + j] - mean) * rstd + beta[j] }
        }
        return y
    }

    /// Mean softmax cross-entropy.
    static func crossEntropy(_ s: [Double], _ labels: [Int32], n: Int, c: Int) -> Double {
        var total = 0.0
        for r in 0..<n {
            let row = s[(r * c)..<(r * c + c)]
            let m = row.max()!
            let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
            total += lse - s[r * c + Int(labels[r])]
        }
        return total / Double(n)
    }

    /// Mean over every entry of `(p − t)²`.
    static func meanSquaredError(_ p: [Double], _ t: [Double]) -> Double {
        zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(p.count)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}

@Suite struct LayerGradientTests {
    @Test func affine() {
        let (n, i, o) = (5, 4, 3)
        let x = gaussianArray(n * i, seed: 1).floats.doubles
        let w = gaussianArray(i * o, seed: 2).floats.doubles
        let b = gaussianArray(o, seed: 3).floats.doubles
        let g = gaussianArray(n * o, seed: 4).floats.doubles
        var dx = [Float](repeating: 0, count: n * i), dw = [Float](repeating: 0, count: i * o)
        var db = [Float](repeating: 0, count: o)
        affineBackward(dx: &dx, dw: &dw, db: &db, dy: g.floats, x: x.floats, ldx: i, w: w.floats,
                       n: n, inDim: i, outDim: o)
        let f = { (x: [Double], w: [Double], b: [Double]) in
            DoubleLayers.dot(g, DoubleLayers.affine(x, w, b, n: n, i: i, o: o))
        }
        expectGradient(dx, numericalGradient(at: x) { f($0, w, b) }, "affine dX")
        expectGradient(dw, numericalGradient(at: w) { f(x, $0, b) }, "affine dW")
        expectGradient(db, numericalGradient(at: b) { f(x, w, $0) }, "affine db")

        // And the Float forward agrees with the Double one.
        var y = [Float](repeating: 0, count: n * o)
        affineForward(y: &y, x: x.floats, ldx: i, w: w.floats, b: b.floats, n: n, inDim: i, outDim: o)
        let yd = DoubleLayers.affine(x, w, b, n: n, i: i, o: o)
        #expect(zip(y, yd).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func relu() {
        // Keep inputs away from the kink at 0, where the derivative does not exist.
        let x = gaussianArray(24, seed: 5).map { abs($0) < 0.05 ? $0 + 0.1 : $0 }.floats.doubles
        let g = gaussianArray(24, seed: 6).floats.doubles
        var y = [Float](repeating: 0, count: 24), dx = [Float](repeating: 0, count: 24)
        reluForward(y: &y, x: x.floats, count: 24)
        reluBackward(dx: &dx, dy: g.floats, y: y, count: 24)
        #expect(y == x.map { Float(max($0, 0)) })
        expectGradient(dx, numericalGradient(at: x) { DoubleLayers.dot(g, $0.map { max($0, 0) }) }, "ReLU dX")
    }

    /// Returns the Float batch-norm gradients for the check below and the wrong-gradient test.
    static func batchNormCase() -> (z: [Double], gamma: [Double], beta: [Double], g: [Double],
                                    dz: [Float], dGamma: [Float], dBeta: [Float], y: [Float], n: Int, c: Int) {
        let (n, c) = (6, 4)
        // Columns with different offsets and scales, as real pre-activations.
        let z = gaussianArray(n * c, seed: 7).enumerated().map { $1 * Double(1 + $0 % c) + Double($0 % c) - 1 }
            .floats.doubles
        let gamma = gaussianArray(c, seed: 8).map { 1 + 0.3 * $0 }.floats.doubles
        let beta = gaussianArray(c, seed: 9).floats.doubles
        let g = gaussianArray(n * c, seed: 10).floats.doubles
        var y = [Float](repeating: 0, count: n * c)
        var mean = [Float](repeating: 0, count: c), rstd = [Float](repeating: 0, count: c)
        var rm = [Float](repeating: 0, count: c), rv = [Float](repeating: 1, count: c)
        batchNormForwardTraining(y: &y, z: z.floats, gamma: gamma.floats, beta: beta.floats,
                                 mean: &mean, rstd: &rstd, runningMean: &rm, runningVar: &rv, n: n, c: c)
        var dz = [Float](repeating: 0, count: n * c)
        var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
        batchNormBackward(dz: &dz, dGamma: &dGamma, dBeta: &dBeta, dy: g.floats, z: z.floats,
                          mean: mean, rstd: rstd, gamma: gamma.floats, n: n, c: c)
        return (z, gamma, beta, g, dz, dGamma, dBeta, y, n, c)
    }

    @Test func batchNormTraining() {
        let t = Self.batchNormCase()
        let f = { (z: [Double], gamma: [Double], beta: [Double]) in
            DoubleLayers.dot(t.g, DoubleLayers.batchNorm(z, gamma, beta, n: t.n, c: t.c))
        }
        expectGradient(t.dz, numericalGradient(at: t.z) { f($0, t.gamma, t.beta) }, "BN dZ")
        expectGradient(t.dGamma, numericalGradient(at: t.gamma) { f(t.z, $0, t.beta) }, "BN dγ")
        expectGradient(t.dBeta, numericalGradient(at: t.beta) { f(t.z, t.gamma, $0) }, "BN dβ")
        let yd = DoubleLayers.batchNorm(t.z, t.gamma, t.beta, n: t.n, c: t.c)
        #expect(zip(t.y, yd).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }

    @Test func softmaxCrossEntropy() {
        let (n, c) = (5, 4)
        let s = gaussianArray(n * c, seed: 11, std: 2).floats.doubles
        let labels = labelsArray(n, classes: c, seed: 12)
        var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
        softmaxCrossEntropyForward(probs: &probs, losses: &losses, scores: s.floats, labels: labels, n: n, c: c)
        var ds = [Float](repeating: 0, count: n * c)
        softmaxCrossEntropyBackward(dScores: &ds, probs: probs, labels: labels, n: n, c: c)
        expectGradient(ds, numericalGradient(at: s) { DoubleLayers.crossEntropy($0, labels, n: n, c: c) },
                       "softmax-CE dScores")
        #expect(abs(meanLoss(losses, n: n) - DoubleLayers.crossEntropy(s, labels, n: n, c: c)) < 1e-6)
    }

    @Test func l2Penalty() {
        let w = gaussianArray(12, seed: 13).floats.doubles
        let reg = 0.3
        var g = [Float](repeating: 0, count: 12)
        addWeightDecay(&g, w.floats, count: 12, decay: Float(2 * reg))
        expectGradient(g, numericalGradient(at: w) { reg * $0.map { $0 * $0 }.reduce(0, +) }, "L2 dW")
        let sum = sumOfSquares(w.floats, count: 12)
        #expect(abs(Double(sum) - w.map { $0 * $0 }.reduce(0, +)) < 1e-5)
    }

    /// The check must be able to fail: classic mistakes are caught.
    @Test func gradientCheckCatchesWrongGradients() {
        let t = Self.batchNormCase()
        let numeric = numericalGradient(at: t.z) {
            DoubleLayers.dot(t.g, DoubleLayers.batchNorm($0, t.gamma, t.beta, n: t.n, c: t.c))
        }
        // 1. BatchNorm backward that treats the batch statistics as constants.
        var naive = [Float](repeating: 0, count: t.n * t.c)
        for r in 0..<t.n {
            for j in 0..<t.c {
                let column = (0..<t.n).map { t.z[$0 * t.c + j] }
                let mean = column.reduce(0, +) / Double(t.n)
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(t.n)
                naive[r * t.c + j] = Float(t.gamma[j] * t.g[r * t.c + j] / (variance + 1e-5).squareRoot())
            }
        }
        #expect(relativeGradientError(analytic: naive, numeric: numeric) > 100 * gradientTolerance)
        // 2. The right gradient with one entry off by 1 %.
        var nudged = t.dz
        let k = nudged.indices.max { abs(nudged[$0]) < abs(nudged[$1]) }!
        nudged[k] *= 1.01
        #expect(relativeGradientError(analytic: nudged, numeric: numeric) > gradientTolerance)
        #expect(relativeGradientError(analytic: t.dz, numeric: numeric) <= gradientTolerance)
    }
}
