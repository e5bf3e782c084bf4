#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HypergridKernel

// The fused fast paths against the plain layers they replace (bit for bit), and the
// layers' forward semantics on hand-checkable cases.

@Suite struct FusedLayerTests {
    // Sizes that leave vector tails (not multiples of 8 or 16).
    let n = 7, i = 13, o = 19

    @Test func affineReLUMatchesAffineThenReLU() {
        let x = gaussianArray(n * i, seed: 1).floats, w = gaussianArray(i * o, seed: 2).floats
        let b = gaussianArray(o, seed: 3).floats
        var plain = [Float](repeating: .nan, count: n * o), fused = plain
        affineForward(y: &plain, x: x, ldx: i, w: w, b: b, n: n, inDim: i, outDim: o)
        reluForward(y: &plain, x: plain, count: n * o)
        affineReLUForward(y: &fused, x: x, ldx: i, w: w, b: b, n: n, inDim: i, outDim: o)
        #expect(fused == plain)
        #expect(fused.contains(0) && fused.contains { $0 > 0 })
    }

    @Test func reluBackwardColumnSumsMatchesPlain() {
        let y = gaussianArray(n * o, seed: 4).map { max($0, 0) }.floats
        let dy = gaussianArray(n * o, seed: 5).floats
        var plain = [Float](repeating: 0, count: n * o), dbPlain = [Float](repeating: .nan, count: o)
        reluBackward(dx: &plain, dy: dy, y: y, count: n * o)
        columnSums(&dbPlain, plain, rows: n, columns: o)
        var fused = dy, dbFused = [Float](repeating: .nan, count: o)
        reluBackwardColumnSums(&fused, y: y, db: &dbFused, rows: n, columns: o)
        #expect(fused == plain && dbFused == dbPlain)
    }

    @Test func batchNormReLUMatchesPlain() {
        let z = gaussianArray(n * o, seed: 6).enumerated().map { $1 * 3 + Double($0 % 5) }.floats
        let gamma = gaussianArray(o, seed: 7).map { 1 + 0.2 * $0 }.floats
        let beta = gaussianArray(o, seed: 8).floats
        let da = gaussianArray(n * o, seed: 9).floats
        func stats() -> ([Float], [Float], [Float], [Float]) {
            ([Float](repeating: 0, count: o), [Float](repeating: 0, count: o),
             [Float](repeating: 0.5, count: o), [Float](repeating: 2, count: o))
        }
        var (m1, r1, rm1, rv1) = stats(), (m2, r2, rm2, rv2) = stats()
        var plain = [Float](repeating: 0, count: n * o), fused = plain
        batchNormForwardTraining(y: &plain, z: z, gamma: gamma, beta: beta, mean: &m1, rstd: &r1,
                                 runningMean: &rm1, runningVar: &rv1, n: n, c: o)
        reluForward(y: &plain, x: plain, count: n * o)
        batchNormReLUForwardTraining(a: &fused, z: z, gamma: gamma, beta: beta, mean: &m2, rstd: &r2,
                                     runningMean: &rm2, runningVar: &rv2, n: n, c: o)
        #expect(fused == plain && m1 == m2 && r1 == r2 && rm1 == rm2 && rv1 == rv2)

        var dPlain = [Float](repeating: 0, count: n * o)
        var gP = [Float](repeating: 0, count: o), bP = gP, gF = gP, bF = gP
        reluBackward(dx: &dPlain, dy: da, y: plain, count: n * o)
        batchNormBackward(dz: &dPlain, dGamma: &gP, dBeta: &bP, dy: dPlain, z: z, mean: m1, rstd: r1,
                          gamma: gamma, n: n, c: o)
        var dFused = da
        reluBatchNormBackward(&dFused, dGamma: &gF, dBeta: &bF, a: fused, z: z, mean: m2, rstd: r2,
                              gamma: gamma, n: n, c: o)
        #expect(dFused == dPlain && gF == gP && bF == bP)
    }

    /// Row counts with full and short blocks of 8 rows; class counts with and without tails.
    @Test(arguments: [(7, 11), (19, 10), (16, 8), (3, 1), (9, 3)])
    func softmaxCrossEntropyFusedMatchesPlain(rows n: Int, classes c: Int) {
        let raw = gaussianArray(n * c, seed: 10, std: 3).floats
        let bias = gaussianArray(c, seed: 11).floats
        let labels = labelsArray(n, classes: c, seed: 12)
        var scores = raw
        addRowVector(&scores, bias, rows: n, columns: c)
        var probs = [Float](repeating: 0, count: n * c), losses = [Float](repeating: 0, count: n)
        softmaxCrossEntropyForward(probs: &probs, losses: &losses, scores: scores, labels: labels, n: n, c: c)
        let plainLoss = meanLoss(losses, n: n)
        var plainGrad = [Float](repeating: 0, count: n * c)
        softmaxCrossEntropyBackward(dScores: &plainGrad, probs: probs, labels: labels, n: n, c: c)
        var fused = raw
        let fusedLoss = softmaxCrossEntropyFused(&fused, bias: bias, labels: labels, n: n, c: c)
        #expect(fusedLoss == plainLoss && fused == plainGrad)
    }
}

@Suite struct LayerSemanticsTests {
    @Test func softmaxIsStableForHugeScores() {
        // exp(1000) overflows Float; shifting by the row max keeps everything finite.
        let scores: [Float] = [1000, 999, 1000 - 50, -1000, 0, 1000]
        var probs = [Float](repeating: 0, count: 6), losses = [Float](repeating: 0, count: 2)
        softmaxCrossEntropyForward(probs: &probs, losses: &losses, scores: scores, labels: [2, 0],
                                   n: 2, c: 3)
        #expect(probs.allSatisfy(\.isFinite) && losses.allSatisfy(\.isFinite))
        #expect(abs(probs[0..<3].reduce(0, +) - 1) < 1e-6)
        #expect(abs(losses[0] - 50.3132617) < 1e-4)   // log(1 + e⁻¹ + e⁻⁵⁰) + 50
        #expect(abs(losses[1] - 2000) < 1e-3)          // p ≈ e⁻²⁰⁰⁰ underflows; the loss does not
    }

    @Test func uniformScoresGiveLogC() {
        var probs = [Float](repeating: 0, count: 8), losses = [Float](repeating: 0, count: 2)
        softmaxCrossEntropyForward(probs: &probs, losses: &losses, scores: [Float](repeating: 0.25, count: 8),
                                   labels: [1, 3], n: 2, c: 4)
        #expect(probs.allSatisfy { abs($0 - 0.25) < 1e-7 })
        #expect(abs(meanLoss(losses, n: 2) - 1.3862943611198906) < 1e-6)
    }

    /// PyTorch's BatchNorm1d semantics on a worked example: column [1, 2, 3, 6] has mean 3,
    /// biased variance 3.5, unbiased variance 14/3.
    @Test func batchNormStatistics() {
        let z: [Float] = [1, 10, 2, 10, 3, 10, 6, 10]   // [4 × 2]; column 1 is constant
        var y = [Float](repeating: 0, count: 8)
        var mean: [Float] = [0, 0], rstd: [Float] = [0, 0], rm: [Float] = [0, 0], rv: [Float] = [1, 1]
        batchNormForwardTraining(y: &y, z: z, gamma: [2, 1], beta: [0.5, -1], mean: &mean, rstd: &rstd,
                                 runningMean: &rm, runningVar: &rv, n: 4, c: 2)
        #expect(mean == [3, 10])
        #expect(abs(rstd[0] - Float(1 / (3.5 + 1e-5).squareRoot())) < 1e-7)
        #expect(abs(y[0] - (2 * (-2) / Float((3.5 + 1e-5).squareRoot()) + 0.5)) < 1e-6)
        #expect(y[1] == -1)                               // constant column → β
        #expect(abs(rm[0] - 0.3) < 1e-7 && abs(rm[1] - 1) < 1e-6)
        #expect(abs(rv[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6)  // unbiased variance in the running average
        #expect(abs(rv[1] - 0.9) < 1e-7)

        // Inference uses the running statistics, not the batch's.
        var yi = [Float](repeating: 0, count: 2), scratch: [Float] = [0, 0]
        batchNormForwardInference(y: &yi, z: [1, 10], gamma: [2, 1], beta: [0.5, -1], runningMean: rm,
                                  runningVar: rv, rstd: &scratch, n: 1, c: 2)
        #expect(abs(yi[0] - (2 * (1 - rm[0]) / (rv[0] + 1e-5).squareRoot() + 0.5)) < 1e-6)
    }

    @Test func batchNormSingleRowDoesNotPoisonRunningVariance() {
        var y: [Float] = [0], mean: [Float] = [0], rstd: [Float] = [0], rm: [Float] = [0], rv: [Float] = [1]
        batchNormForwardTraining(y: &y, z: [5], gamma: [1], beta: [0], mean: &mean, rstd: &rstd,
                                 runningMean: &rm, runningVar: &rv, n: 1, c: 1)
        #expect(y == [0] && rv[0].isFinite && abs(rm[0] - 0.5) < 1e-7)
    }

    @Test func argmaxTakesTheFirstMaximum() {
        var out: [Int32] = [9, 9, 9]
        argmaxRows(&out, scores: [1, 3, 3, 0, 0, 0, -1, -2, -0.5], bias: nil, n: 3, c: 3)
        #expect(out == [1, 0, 2])
        argmaxRows(&out, scores: [1, 3, 3, 0, 0, 0, -1, -2, -0.5], bias: [0, 0, 1], n: 3, c: 3)
        #expect(out == [2, 2, 2])
    }

    /// The definition written out plainly: blocks of 4,096, partial (i mod 32) within a
    /// block, partials 0…31 then blocks left to right, all in Float.
    static func plainSumOfSquares(_ x: [Float]) -> Float {
        var total: Float = 0
        var start = 0
        while start < x.count {
            var partial = [Float](repeating: 0, count: 32)
            for i in start..<min(start + squareSumBlock, x.count) {
                partial[(i - start) % 32] = partial[(i - start) % 32] + x[i] * x[i]
            }
            var block: Float = 0
            for p in partial { block = block + p }
            total = total + block
            start += squareSumBlock
        }
        return total
    }

    @Test func sumOfSquaresOrderIsFixed() {
        // Near 5e8 the Float spacing is 32, so a left-to-right sum drops every 3² = 9 after
        // the first 10⁴², while the interleaved partial sums collect them first and keep
        // them: the two orders give different bits.
        let x: [Float] = (0..<101).map { $0 % 32 == 0 ? 10_000 : 3 }
        let sequential = x.reduce(Float(0)) { $0 + $1 * $1 }
        #expect(sequential != Self.plainSumOfSquares(x))
        #expect(sumOfSquares(x, count: x.count) == Self.plainSumOfSquares(x))
        // Tails of every length and several blocks, values of mixed magnitude.
        var rng = TestRandom(seed: 3)
        for count in [0, 1, 31, 33, 4_095, 4_096, 4_097, 3 * 4_096 + 77] {
            let y = (0..<count).map { _ in rng.mixed() }
            #expect(sumOfSquares(y, count: count).bitPattern == Self.plainSumOfSquares(y).bitPattern,
                    "count \(count)")
        }
    }

    /// With a team, the block sums are computed in parallel and still added in order.
    @Test func weightSquareSumOnATeamMatchesSerial() {
        let shape = MLPShape(inputWidth: 300, hidden: [257], classCount: 10, batchNorm: false)
        let net = MLP(shape: shape, maxBatch: 4)
        net.initialize(.he, seed: 12)
        let serial = net.weightSquareSum()
        net.team = ThreadTeam(threads: 3)
        #expect(net.weightSquareSum().bitPattern == serial.bitPattern)
        let w = net.parameters.filter(\.isWeight).map { Array(UnsafeBufferPointer(start: $0.value, count: $0.count)) }
        #expect(serial == w.reduce(0.0) { $0 + Double(Self.plainSumOfSquares($1)) })
    }

    @Test func gatherCopiesRowsAndLabels() {
        let source: [Float] = (0..<12).map(Float.init)     // 4 rows × 3
        var out = [Float](repeating: 0, count: 9), labels: [Int32] = [0, 0, 0]
        gatherRows(into: &out, labels: &labels, from: source, labels: [10, 11, 12, 13], columns: 3,
                   indices: [3, 0, 3], count: 3)
        #expect(out == [9, 10, 11, 0, 1, 2, 9, 10, 11] && labels == [13, 10, 13])
    }
}

@Suite struct ExponentialTests {
    @Test func accurateOverTheSoftmaxRange() {
        // x from −87 to +10 in steps that hit many reduction intervals.
        var worst = 0.0
        var x: Float = -87
        while x <= 10 {
            let exact = exp(Double(x))
            worst = max(worst, abs(Double(exponential(x)) - exact) / exact)
            x += 0.0137
        }
        #expect(worst < 2.5e-7)   // ≈ 2 ulp (an ulp is 6e-8 to 1.2e-7 relative)
        #expect(exponential(0) == 1)
    }

    @Test func edgesAndLanes() {
        #expect(exponential(-Float.infinity) < 1.2e-38 && exponential(-Float.infinity) >= 0)
        #expect(exponential(Float.nan).isNaN)
        #expect(exponential(-1000) == exponential(-87.33654))   // clamped, not garbage
        let v = SIMD8<Float>(-5, -1, -0.5, 0, -20, -3.25, -87, -0.001)
        let e = exponential(v)
        for k in 0..<8 { #expect(e[k] == exponential(v[k])) }   // lanes are independent
    }
}
