import Testing
@testable import HypergridKernel

/// Label smoothing and decoupled weight decay in the network and the optimizer: the fast
/// passes on a team give the plain composition's bits on one thread, the vectorised decay
/// gives the scalar loop's bits, and the decay is `w -= lr·W·w` on weight matrices only.
@Suite struct TrainingFeatureKernelTests {
    @Test(arguments: [1, 2, 3])
    func smoothingAndWeightDecayMatchTheReference(threads: Int) {
        let shape = MLPShape(inputWidth: 203, hidden: [256, 136], classCount: 10, batchNorm: true)
        let n = 200
        let fast = MLP(shape: shape, maxBatch: n), plain = MLP(shape: shape, maxBatch: n)
        fast.initialize(.he, seed: 7)
        plain.initialize(.he, seed: 7)
        (fast.labelSmoothing, plain.labelSmoothing) = (0.1, 0.1)
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        fast.team = team
        let of = Optimizer(rule: .adamDefaults, parameters: fast.parameters)
        let op = Optimizer(rule: .adamDefaults, parameters: plain.parameters)
        var unsmoothed: [Double] = []
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 40 + UInt64(step)).floats
            let labels = labelsArray(n, classes: shape.classCount, seed: 60 + UInt64(step))
            let lf = fast.lossAndGradients(x: x, labels: labels, rows: n, step: step)
            let lp = plain.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: 0, step: step)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues, "step \(step)")
            of.step(learningRate: 1e-3, reg: 1e-4, weightDecay: 0.05, team: team)
            op.referenceStep(learningRate: 1e-3, reg: 1e-4, weightDecay: 0.05)
            unsmoothed.append(lf)
        }
        #expect(fast.parameterValues == plain.parameterValues)
        // Smoothing changes the loss (and so training).
        let other = MLP(shape: shape, maxBatch: n)
        other.initialize(.he, seed: 7)
        let x = gaussianArray(n * shape.inputWidth, seed: 40).floats
        let labels = labelsArray(n, classes: shape.classCount, seed: 60)
        #expect(other.lossAndGradients(x: x, labels: labels, rows: n) != unsmoothed[0])
    }

    /// The vectorised step with decoupled decay gives the scalar loops' bits for every rule,
    /// on tensors with vector tails and split over teams.
    @Test(arguments: [UpdateRule.sgd, .momentum(0.9), .nesterov(0.8), .adamDefaults], [1, 2, 3])
    func vectorisedDecayMatchesScalarLoops(rule: UpdateRule, threads: Int) {
        let fast = OptimizerSIMDTests.Tensors(seed: 9), plain = OptimizerSIMDTests.Tensors(seed: 9)
        let of = Optimizer(rule: rule, parameters: fast.tensors)
        let op = Optimizer(rule: rule, parameters: plain.tensors)
        let team = ThreadTeam(threads: threads)
        for s in 0..<4 {
            fast.newGradients(seed: 50 + UInt64(s))
            plain.newGradients(seed: 50 + UInt64(s))
            of.step(learningRate: 0.01, reg: 0.003, weightDecay: 0.5, team: team)
            op.referenceStep(learningRate: 0.01, reg: 0.003, weightDecay: 0.5)
        }
        #expect(fast.bits == plain.bits)
    }

    /// With zero gradients a step moves nothing but the decay: weights become `w − (lr·W)·w`
    /// (for Adam too: zero moments give a zero step), biases stay; W = 0 is the old step.
    @Test(arguments: [UpdateRule.sgd, .momentum(0.9), .adamDefaults])
    func decayShrinksWeightsOnly(rule: UpdateRule) {
        let n = 1_000
        let w = gaussianArray(n, seed: 1).floats, b = gaussianArray(n, seed: 2).floats
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: 4 * n)
        defer { storage.deallocate() }
        storage.initialize(repeating: 0, count: 4 * n)
        storage.update(from: w, count: n)
        (storage + 2 * n).update(from: b, count: n)
        let tensors = [ParameterTensor(value: storage, gradient: storage + n, count: n, isWeight: true),
                       ParameterTensor(value: storage + 2 * n, gradient: storage + 3 * n, count: n, isWeight: false)]
        let optimizer = Optimizer(rule: rule, parameters: tensors)
        let (lr, decay): (Float, Float) = (0.1, 0.3)
        optimizer.step(learningRate: lr, reg: 0, weightDecay: decay)
        let shrink = lr * decay
        #expect((0..<n).allSatisfy { storage[$0] == w[$0] - shrink * w[$0] })
        #expect((0..<n).allSatisfy { storage[2 * n + $0] == b[$0] })
        optimizer.step(learningRate: lr, reg: 0, weightDecay: 0)
        #expect((0..<n).allSatisfy { storage[$0] == w[$0] - shrink * w[$0] })
    }
}
