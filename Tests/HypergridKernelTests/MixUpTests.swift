#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HypergridKernel

/// MixUp: the Beta sampler and its own log/exp, the mixing layer (adjoint, team bits), the
/// mixed-target loss (gradient, Double reference, fused bits, λ = 1), and the MLP's fast
/// passes against the plain composition.
@Suite struct MixUpTests {
    /// The deterministic log and exp agree with libm to ~1e-15 relative, over the ranges
    /// the sampler uses and beyond.
    @Test func ownLogAndExpAgreeWithLibm() {
        var rng = Philox4x32(seed: 1, stream: 9)
        var worstLog = 0.0, worstExp = 0.0
        for k in 0..<20_000 {
            let u = rng.nextOpenClosedDouble()
            let x = k % 2 == 0 ? u : u * pow(2, Double(k % 600) - 300)
            worstLog = max(worstLog, abs(deterministicLog(x) - log(x)) / max(abs(log(x)), 1e-300))
            let y = (u - 0.5) * 1_400
            worstExp = max(worstExp, abs(deterministicExp(y) - exp(y)) / exp(y))
        }
        #expect(worstLog < 4e-15, "log: \(worstLog)")
        #expect(worstExp < 4e-15, "exp: \(worstExp)")
        #expect(deterministicLog(1) == 0 && deterministicExp(0) == 1)
        #expect(deterministicExp(-800) == 0 && deterministicExp(800) == .infinity)
        #expect(deterministicExp(-744) > 0)   // subnormal results are kept
    }

    /// λ ~ Beta(α, α): mean 1/2 and variance 1/(4(2α + 1)) over 20,000 steps, in [0, 1], and
    /// a function of (seed, step) alone.
    @Test(arguments: [0.2, 1.0, 4.0])
    func weightsFollowTheBetaDistribution(alpha: Double) {
        let count = 20_000
        let draws = (0..<count).map { Double(mixUpWeight(alpha: alpha, seed: 3, step: $0)) }
        let mean = draws.reduce(0, +) / Double(count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count - 1)
        let expected = 1 / (4 * (2 * alpha + 1))
        #expect(abs(mean - 0.5) < 4 * (expected / Double(count)).squareRoot(), "mean \(mean)")
        #expect(abs(variance / expected - 1) < 0.05, "variance \(variance), expected \(expected)")
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Small α puts most weight near 0 and 1; large α near 1/2.
        let nearEdges = Double(draws.filter { $0 < 0.1 || $0 > 0.9 }.count) / Double(count)
        #expect(alpha < 1 ? nearEdges > 0.5 : nearEdges < 0.25, "share near 0 or 1: \(nearEdges)")
        #expect(mixUpWeight(alpha: alpha, seed: 3, step: 17) == Float(draws[17]))
        #expect(mixUpWeight(alpha: alpha, seed: 4, step: 17) != Float(draws[17]))
    }

    /// ⟨mix(x), g⟩ = ⟨x, mixᵀ(g)⟩, and the forward is the formula row by row.
    @Test func mixingIsLinearWithItsTransposeAsBackward() {
        let (rows, columns) = (5, 7)
        let x = gaussianArray(rows * columns, seed: 1).floats, g = gaussianArray(rows * columns, seed: 2).floats
        let lambda: Float = 0.3
        var y = [Float](repeating: 0, count: rows * columns), back = y
        mixUpForward(y: &y, x: x, rows: rows, columns: columns, lambda: lambda)
        mixUpBackward(dx: &back, dy: g, rows: rows, columns: columns, lambda: lambda)
        let lhs = zip(y, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-5 * max(1, abs(lhs)))
        for i in 0..<rows {
            for j in 0..<columns {
                #expect(y[i * columns + j] == lambda * x[i * columns + j] + (1 - lambda) * x[((i + 1) % rows) * columns + j])
            }
        }
    }

    /// The mixer on a team gives the plain functions' bits and the rotated labels.
    @Test(arguments: [1, 2, 3])
    func mixerMatchesThePlainFunctions(threads: Int) {
        let (rows, columns) = (200, 784)
        let x = gaussianArray(rows * columns, seed: 5).floats
        let labels = labelsArray(rows, classes: 10, seed: 6)
        let mixer = MixUpMixer(columns: columns, alpha: 0.4, seed: 11, maxRows: rows)
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        for step in [0, 1, 1_000] {
            let targets = mixer.apply(x: x, labels: labels, rows: rows, step: step, team: team)
            let lambda = mixUpWeight(alpha: 0.4, seed: 11, step: step)
            #expect(targets.lambda == lambda)
            var plain = [Float](repeating: 0, count: rows * columns)
            mixUpForward(y: &plain, x: x, rows: rows, columns: columns, lambda: lambda)
            #expect(Array(UnsafeBufferPointer(start: mixer.mixed, count: rows * columns)) == plain)
            #expect((0..<rows).allSatisfy { targets.partnerLabels[$0] == labels[($0 + 1) % rows] })
        }
    }

    /// Mean cross-entropy against `(1 − ε)·(λ·e(a) + (1 − λ)·e(b)) + ε/C`, in Double.
    static func mixedCrossEntropy(_ s: [Double], _ a: [Int32], _ b: [Int32], n: Int, c: Int,
                                  lambda: Double, eps: Double) -> Double {
        var total = 0.0
        for r in 0..<n {
            let row = Array(s[(r * c)..<(r * c + c)])
            let m = row.max()!
            let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
            for j in 0..<c {
                let q = (1 - eps) * ((j == Int(a[r]) ? lambda : 0) + (j == Int(b[r]) ? 1 - lambda : 0)) + eps / Double(c)
                total += q * (lse - row[j])
            }
        }
        return total / Double(n)
    }

    @Test(arguments: [(0.3, 0.0), (0.7, 0.1), (0.5, 0.2)])
    func lossGradientAndValue(lambda: Double, eps: Double) {
        let (n, c) = (6, 5)
        let s = gaussianArray(n * c, seed: 21, std: 2).floats.doubles
        let a = labelsArray(n, classes: c, seed: 22)
        var b = labelsArray(n, classes: c, seed: 23)
        b[0] = a[0]   // a row mixed with a row of its own class
        let (l, e) = (Float(lambda), Float(eps))
        var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
        softmaxCrossEntropyMixedForward(probs: &probs, losses: &losses, scores: s.floats, labels: a, partners: b,
                                        n: n, c: c, lambda: l, smoothing: e)
        var ds = [Float](repeating: 0, count: n * c)
        softmaxCrossEntropyMixedBackward(dScores: &ds, probs: probs, labels: a, partners: b, n: n, c: c,
                                         lambda: l, smoothing: e)
        let reference = { (x: [Double]) in
            Self.mixedCrossEntropy(x, a, b, n: n, c: c, lambda: Double(l), eps: Double(e))
        }
        expectGradient(ds, numericalGradient(at: s, reference), "mixed softmax-CE dScores")
        #expect(abs(meanLoss(losses, n: n) - reference(s)) < 1e-5)
        for r in 0..<n { #expect(abs(ds[(r * c)..<(r * c + c)].reduce(0, +)) < 1e-6) }
    }

    /// λ = 1 is the smoothed (unmixed) loss, bit for bit.
    @Test func weightOneIsTheUnmixedLoss() {
        let (n, c) = (9, 10)
        let s = gaussianArray(n * c, seed: 31, std: 3).floats
        let a = labelsArray(n, classes: c, seed: 32), b = labelsArray(n, classes: c, seed: 33)
        var p1 = [Float](repeating: 0, count: n * c), l1 = [Float](repeating: 0, count: n)
        var p2 = p1, l2 = l1
        softmaxCrossEntropySmoothedForward(probs: &p1, losses: &l1, scores: s, labels: a, n: n, c: c, smoothing: 0.1)
        softmaxCrossEntropyMixedForward(probs: &p2, losses: &l2, scores: s, labels: a, partners: b, n: n, c: c,
                                        lambda: 1, smoothing: 0.1)
        #expect(p1 == p2 && l1 == l2)
        var d1 = p1, d2 = p2
        softmaxCrossEntropySmoothedBackward(dScores: &d1, probs: p1, labels: a, n: n, c: c, smoothing: 0.1)
        softmaxCrossEntropyMixedBackward(dScores: &d2, probs: p2, labels: a, partners: b, n: n, c: c,
                                         lambda: 1, smoothing: 0.1)
        #expect(d1 == d2)
    }

    /// Row counts with full and short blocks of 8 rows; class counts with and without tails.
    @Test(arguments: [(7, 11), (19, 10), (16, 8), (3, 1), (9, 3)])
    func fusedMatchesPlain(rows n: Int, classes c: Int) {
        for eps: Float in [0, 0.1] {
            let raw = gaussianArray(n * c, seed: 40, std: 3).floats
            let bias = gaussianArray(c, seed: 41).floats
            let a = labelsArray(n, classes: c, seed: 42), b = labelsArray(n, classes: c, seed: 43)
            var scores = raw
            addRowVector(&scores, bias, rows: n, columns: c)
            var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
            softmaxCrossEntropyMixedForward(probs: &probs, losses: &losses, scores: scores, labels: a, partners: b,
                                            n: n, c: c, lambda: 0.35, smoothing: eps)
            let plainLoss = meanLoss(losses, n: n)
            var plainGrad = [Float](repeating: 0, count: n * c)
            softmaxCrossEntropyMixedBackward(dScores: &plainGrad, probs: probs, labels: a, partners: b, n: n, c: c,
                                             lambda: 0.35, smoothing: eps)
            var fused = raw
            let fusedLoss = softmaxCrossEntropyMixedFused(&fused, bias: bias, labels: a, partners: b, n: n, c: c,
                                                          lambda: 0.35, smoothing: eps)
            #expect(fusedLoss == plainLoss && fused == plainGrad, "ε \(eps)")
        }
    }

    /// Three training steps with MixUp (and smoothing, dropout, BatchNorm): the fast passes on
    /// a team give the plain composition's bits on one thread.
    @Test(arguments: [1, 2, 3])
    func networkMatchesTheReference(threads: Int) {
        let shape = MLPShape(inputWidth: 203, hidden: [256, 136], classCount: 10, batchNorm: true)
        let n = 200
        let fast = MLP(shape: shape, maxBatch: n), plain = MLP(shape: shape, maxBatch: n)
        for net in [fast, plain] {
            net.initialize(.he, seed: 7)
            net.labelSmoothing = 0.1
            net.dropout = DropoutSettings(rate: 0.2, seed: 7)
        }
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        fast.team = team
        let mixer = MixUpMixer(columns: shape.inputWidth, alpha: 0.2, seed: 7, maxRows: n)
        let of = Optimizer(rule: .adamDefaults, parameters: fast.parameters)
        let op = Optimizer(rule: .adamDefaults, parameters: plain.parameters)
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 50 + UInt64(step)).floats
            let labels = labelsArray(n, classes: shape.classCount, seed: 70 + UInt64(step))
            let targets = mixer.apply(x: x, labels: labels, rows: n, step: step, team: team)
            let lf = fast.lossAndGradients(x: mixer.mixed, labels: labels, rows: n, step: step, mixUp: targets)
            let lp = plain.referenceLossAndGradients(x: mixer.mixed, labels: labels, rows: n, reg: 0, step: step,
                                                     mixUp: targets)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues, "step \(step)")
            of.step(learningRate: 1e-3, reg: 0, weightDecay: 0.05, team: team)
            op.referenceStep(learningRate: 1e-3, reg: 0, weightDecay: 0.05)
        }
        #expect(fast.parameterValues == plain.parameterValues)
    }
}
