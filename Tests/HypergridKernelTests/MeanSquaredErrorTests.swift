import Testing
@testable import HypergridKernel

/// The regression output layer: its gradient against central differences of a Double
/// reference (layer and whole network), the fused pass against the plain pair bit for bit,
/// and the same bits on any thread team.
@Suite struct MeanSquaredErrorTests {
    @Test(arguments: [1, 3])
    func layerGradient(k: Int) {
        let n = 5
        let p = gaussianArray(n * k, seed: 91, std: 2).floats.doubles
        let t = gaussianArray(n * k, seed: 92).floats.doubles
        var losses = [Float](repeating: 0, count: n), dp = [Float](repeating: 0, count: n * k)
        meanSquaredErrorForward(losses: &losses, predictions: p.floats, targets: t.floats, n: n, k: k)
        meanSquaredErrorBackward(dPredictions: &dp, predictions: p.floats, targets: t.floats, n: n, k: k)
        expectGradient(dp, numericalGradient(at: p) { DoubleLayers.meanSquaredError($0, t) }, "MSE dPredictions k=\(k)")
        #expect(abs(meanLoss(losses, n: n) - DoubleLayers.meanSquaredError(p, t)) < 1e-6)
        // A gradient without the factor 2 (a classic mistake) is caught.
        let half = dp.map { $0 / 2 }
        #expect(relativeGradientError(analytic: half, numeric: numericalGradient(at: p) {
            DoubleLayers.meanSquaredError($0, t)
        }) > gradientTolerance)
    }

    /// bias + plain forward + mean + plain backward == the fused pass, bit for bit.
    @Test(arguments: [1, 2, 5])
    func fusedMatchesPlain(k: Int) {
        let n = 13
        let scores = gaussianArray(n * k, seed: 93, std: 3).floats
        let bias = gaussianArray(k, seed: 94).floats
        let targets = gaussianArray(n * k, seed: 95).floats
        var plain = scores
        addRowVector(&plain, bias, rows: n, columns: k)
        var losses = [Float](repeating: 0, count: n)
        meanSquaredErrorForward(losses: &losses, predictions: plain, targets: targets, n: n, k: k)
        let plainLoss = meanLoss(losses, n: n)
        var plainGradient = [Float](repeating: 0, count: n * k)
        meanSquaredErrorBackward(dPredictions: &plainGradient, predictions: plain, targets: targets, n: n, k: k)
        var fused = scores
        let fusedLoss = meanSquaredErrorFused(&fused, bias: bias, targets: targets, n: n, k: k)
        #expect(fusedLoss == plainLoss)
        #expect(fused == plainGradient)
    }

    static let cases: [(hidden: [Int], batchNorm: Bool, k: Int)] = [
        ([7], false, 1), ([7], true, 2), ([6, 5], false, 3), ([6, 5], true, 1),
    ]

    /// The whole network's Float gradients (reference pass) against central differences of
    /// an independent Double forward with the squared error and the L2 term.
    @Test(arguments: 0..<4)
    func wholeNetworkGradient(caseIndex: Int) {
        let (hidden, batchNorm, k) = Self.cases[caseIndex]
        let shape = MLPShape(inputWidth: 5, hidden: hidden, classCount: k, batchNorm: batchNorm,
                             loss: .meanSquaredError)
        let n = 8, reg = 0.07
        let net = MLP.forChecks(shape, maxBatch: n, seed: 140 + UInt64(caseIndex))
        let x = gaussianArray(n * 5, seed: 150 + UInt64(caseIndex)).floats
        let targets = gaussianArray(n * k, seed: 160 + UInt64(caseIndex)).floats
        let loss = net.referenceLossAndGradients(x: x, targets: targets, rows: n, reg: reg)
        let analytic = net.gradientValues
        let reference = DoubleMLP(shape: shape, isWeight: net.parameters.map(\.isWeight))
        let params = net.parameterValues.map(\.doubles)
        let (xd, td) = (x.doubles, targets.doubles)
        let exact = reference.loss(params, x: xd, targets: td, n: n, reg: reg)
        #expect(abs(loss - exact) < 1e-5 * max(1, abs(exact)), "Float loss \(loss) vs Double \(exact)")
        for p in params.indices {
            let numeric = numericalGradient(at: params[p]) { probe in
                var q = params
                q[p] = probe
                return reference.loss(q, x: xd, targets: td, n: n, reg: reg)
            }
            expectGradient(analytic[p], numeric, "\(hidden) bn=\(batchNorm) k=\(k) tensor \(p)")
        }
    }

    /// The fast pass gives the reference's bits over several steps: on one thread with odd
    /// widths, and on 2- and 3-thread teams with shapes large enough that every pass splits.
    @Test(arguments: [(0, 1), (1, 1), (2, 2), (3, 3), (2, 3)])
    func fastPathMatchesReferenceOnAnyTeam(shapeIndex: Int, threads: Int) {
        let shapes = [
            MLPShape(inputWidth: 13, hidden: [19], classCount: 1, batchNorm: false, loss: .meanSquaredError),
            MLPShape(inputWidth: 9, hidden: [17, 11, 5], classCount: 3, batchNorm: true, loss: .meanSquaredError),
            MLPShape(inputWidth: 203, hidden: [256, 72], classCount: 2, batchNorm: false, loss: .meanSquaredError),
            MLPShape(inputWidth: 203, hidden: [256, 136], classCount: 1, batchNorm: true, loss: .meanSquaredError),
        ]
        let shape = shapes[shapeIndex]
        let n = shapeIndex < 2 ? 11 : 200
        let fast = MLP(shape: shape, maxBatch: n), plain = MLP(shape: shape, maxBatch: n)
        fast.initialize(.he, seed: 7)
        plain.initialize(.he, seed: 7)
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        fast.team = team
        let of = Optimizer(rule: .adamDefaults, parameters: fast.parameters)
        let op = Optimizer(rule: .adamDefaults, parameters: plain.parameters)
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 40 + UInt64(step)).floats
            let targets = gaussianArray(n * shape.classCount, seed: 60 + UInt64(step)).floats
            let lf = fast.lossAndGradients(x: x, targets: targets, rows: n)
            let lp = plain.referenceLossAndGradients(x: x, targets: targets, rows: n, reg: 0)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues, "step \(step)")
            of.step(learningRate: 1e-3, reg: 1e-3, team: team)
            op.referenceStep(learningRate: 1e-3, reg: 1e-3)
        }
        #expect(fast.parameterValues == plain.parameterValues)
        // Chunked predictions on the team equal the plain forward on one thread.
        let rows = 2 * n + 3
        let x = gaussianArray(rows * shape.inputWidth, seed: 80).floats
        var teamValues = [Float](repeating: .nan, count: rows * shape.classCount)
        fast.predictValues(x: x, rows: rows, into: &teamValues)
        var plainValues = [Float]()
        var start = 0
        while start < rows {
            let m = min(n, rows - start)
            let scores = x.withUnsafeBufferPointer { plain.inferenceScores(x: $0.baseAddress! + start * shape.inputWidth, rows: m) }
            plainValues += UnsafeBufferPointer(start: scores, count: m * shape.classCount)
            start += m
        }
        #expect(teamValues == plainValues)
    }
}
