import Testing
@testable import HypergridKernel

/// Dropout: the mask's bits, the layer's gradient, the whole network's gradient through it,
/// and the fast (fused, team) paths against the plain composition.
@Suite struct DropoutTests {
    /// The plain mask is the stream's words in order from block step·2³², each element's word
    /// is also what `Philox4x32.word` computes directly, and the drop rate is p.
    @Test func maskWordsAreCountedFromTheStep() {
        let count = 40_003, key = DropoutKey(rate: 0.3, seed: 9, stream: RandomStreams.dropout(layer: 1), step: 5)
        var mask = [Float](repeating: -1, count: count)
        dropoutMask(&mask, count: count, key: key)
        for e in [0, 1, 2, 3, 4, 77, count - 1] {
            let word = Philox4x32.word(seed: 9, stream: RandomStreams.dropout(layer: 1), index: 5 << 34 | UInt64(e))
            #expect(mask[e] == (word >> 8 >= key.threshold ? key.scale : 0), "element \(e)")
        }
        #expect(key.scale == Float(1 / 0.7) && key.threshold == UInt32((0.3 * 16_777_216).rounded()))
        let dropped = Double(mask.filter { $0 == 0 }.count) / Double(count)
        #expect(abs(dropped - 0.3) < 0.01, "dropped \(dropped)")
        #expect(Set(mask) == [0, key.scale])
        // Another step, layer or seed draws another mask.
        for other in [DropoutKey(rate: 0.3, seed: 9, stream: RandomStreams.dropout(layer: 1), step: 6),
                      DropoutKey(rate: 0.3, seed: 9, stream: RandomStreams.dropout(layer: 2), step: 5),
                      DropoutKey(rate: 0.3, seed: 10, stream: RandomStreams.dropout(layer: 1), step: 5)] {
            var m = [Float](repeating: -1, count: count)
            dropoutMask(&m, count: count, key: other)
            #expect(m != mask)
        }
    }

    /// The in-place fast forward, on any row range, equals mask-then-multiply.
    @Test(arguments: [1, 3, 17, 64])
    func inPlaceForwardMatchesPlain(columns: Int) {
        let rows = 13
        let key = DropoutKey(rate: 0.45, seed: 3, stream: RandomStreams.dropout(layer: 0), step: 123)
        let x = gaussianArray(rows * columns, seed: 4).floats.map { max($0, 0) }
        var mask = [Float](repeating: 0, count: rows * columns)
        dropoutMask(&mask, count: rows * columns, key: key)
        var plain = [Float](repeating: 0, count: rows * columns)
        dropoutForward(y: &plain, x: x, mask: mask, count: rows * columns)
        var fast = x
        // Split the rows unevenly, as a team might.
        fast.withUnsafeMutableBufferPointer { a in
            dropoutInPlace(a.baseAddress!, columns: columns, rows: 0..<5, key: key)
            dropoutInPlace(a.baseAddress!, columns: columns, rows: 5..<rows, key: key)
        }
        #expect(fast == plain)
    }

    /// The layer's backward is the gradient of `Σ g ⊙ dropout(x)` (Double central differences).
    @Test func layerGradient() {
        let count = 24
        let key = DropoutKey(rate: 0.5, seed: 1, stream: RandomStreams.dropout(layer: 0), step: 0)
        var mask = [Float](repeating: 0, count: count)
        dropoutMask(&mask, count: count, key: key)
        let x = gaussianArray(count, seed: 2), g = gaussianArray(count, seed: 3)
        var dx = [Float](repeating: 0, count: count)
        dropoutBackward(dx: &dx, dy: g.floats, mask: mask, count: count)
        let numeric = numericalGradient(at: x) { v in
            DoubleLayers.dot(g, zip(v, mask).map { $0 * Double($1) })
        }
        expectGradient(dx, numeric, "dropout dX")
        #expect(mask.contains(0) && mask.contains(key.scale))
    }

    static let cases: [(hidden: [Int], batchNorm: Bool)] = [([7], false), ([6, 5], false), ([6, 5], true)]

    /// Whole networks with dropout: the reference pass's gradients against central
    /// differences of a Double forward that applies the same masks after each ReLU.
    @Test(arguments: 0..<3)
    func wholeNetworkGradient(caseIndex: Int) {
        let (hidden, batchNorm) = Self.cases[caseIndex]
        let shape = MLPShape(inputWidth: 5, hidden: hidden, classCount: 3, batchNorm: batchNorm)
        let n = 8, reg = 0.03, step = 17
        let net = MLP.forChecks(shape, maxBatch: n, seed: 70 + UInt64(caseIndex))
        net.dropout = DropoutSettings(rate: 0.35, seed: 11)
        let x = gaussianArray(n * 5, seed: 80 + UInt64(caseIndex)).floats
        let labels = labelsArray(n, classes: 3, seed: 90 + UInt64(caseIndex))
        let loss = net.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: reg, step: step)
        let analytic = net.gradientValues
        let masks: [[Double]] = hidden.indices.map { l in
            var mask = [Float](repeating: 0, count: n * hidden[l])
            dropoutMask(&mask, count: mask.count, key: net.dropoutKey(layer: l, step: step)!)
            return mask.doubles
        }
        #expect(masks.allSatisfy { $0.contains(0) })   // something is really dropped
        let params = net.parameterValues.map(\.doubles)
        func doubleLoss(_ p: [[Double]]) -> Double {
            DoubleMLP(shape: shape, isWeight: net.parameters.map(\.isWeight))
                .loss(p, x: x.doubles, labels: labels, n: n, reg: reg, masks: masks)
        }
        let exact = doubleLoss(params)
        #expect(abs(loss - exact) < 1e-5 * max(1, abs(exact)), "Float loss \(loss) vs Double \(exact)")
        for k in params.indices {
            let numeric = numericalGradient(at: params[k]) { v in
                var p = params
                p[k] = v
                return doubleLoss(p)
            }
            expectGradient(analytic[k], numeric, "case \(caseIndex) tensor \(k)")
        }
    }

    /// The fast pass (dropout in place, fused ReLU+dropout backward) gives the reference's
    /// bits over several steps, alone and on teams of 2 and 3 threads, with and without
    /// BatchNorm; shapes big enough that the team really splits every pass.
    @Test(arguments: [(0, 1), (0, 2), (1, 1), (1, 3), (2, 2)])
    func fastPathMatchesReference(shapeIndex: Int, threads: Int) {
        let shapes = [MLPShape(inputWidth: 13, hidden: [19, 11], classCount: 7, batchNorm: false),
                      MLPShape(inputWidth: 101, hidden: [300, 72], classCount: 10, batchNorm: true),
                      MLPShape(inputWidth: 99, hidden: [257], classCount: 10, batchNorm: false)]
        let shape = shapes[shapeIndex]
        let n = shapeIndex == 0 ? 11 : 200
        let fast = MLP(shape: shape, maxBatch: n), plain = MLP(shape: shape, maxBatch: n)
        for net in [fast, plain] {
            net.initialize(.he, seed: 7)
            net.dropout = DropoutSettings(rate: 0.25, seed: 5)
        }
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        fast.team = team
        let of = Optimizer(rule: .adamDefaults, parameters: fast.parameters)
        let op = Optimizer(rule: .adamDefaults, parameters: plain.parameters)
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 40 + UInt64(step)).floats
            let labels = labelsArray(n, classes: shape.classCount, seed: 60 + UInt64(step))
            let lf = fast.lossAndGradients(x: x, labels: labels, rows: n, step: step)
            let lp = plain.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: 0, step: step)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues, "step \(step)")
            of.step(learningRate: 1e-3, reg: 0, team: team)
            op.referenceStep(learningRate: 1e-3, reg: 0)
        }
        #expect(fast.parameterValues == plain.parameterValues)
    }

    /// A rate of 0 is no dropout: the same bits as a network without it.
    @Test func rateZeroIsOff() {
        let shape = MLPShape(inputWidth: 13, hidden: [19, 11], classCount: 7, batchNorm: true)
        let a = MLP(shape: shape, maxBatch: 11), b = MLP(shape: shape, maxBatch: 11)
        a.initialize(.he, seed: 2)
        b.initialize(.he, seed: 2)
        b.dropout = DropoutSettings(rate: 0, seed: 1)
        let x = gaussianArray(11 * 13, seed: 3).floats, labels = labelsArray(11, classes: 7, seed: 4)
        #expect(a.lossAndGradients(x: x, labels: labels, rows: 11)
                == b.lossAndGradients(x: x, labels: labels, rows: 11, step: 9))
        #expect(a.gradientValues == b.gradientValues)
    }
}
