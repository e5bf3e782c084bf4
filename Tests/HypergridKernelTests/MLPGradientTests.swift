import Testing
@testable import HypergridKernel

// Whole-network gradient checks: the Float gradients of `MLP.referenceLossAndGradients`
// (softmax cross-entropy + reg·Σ‖W‖², BatchNorm in training mode) against central
// differences of a Double forward written independently below. `lossAndGradients`, the
// fast path, is tested bit-for-bit against the reference in MLPTests, so this covers it.

/// The MLP's training-mode loss in Double, from a copy of its parameters (same order as
/// `MLP.parameters`).
struct DoubleMLP {
    let shape: MLPShape
    let isWeight: [Bool]

    /// `masks[l]`, when given, multiplies hidden layer `l`'s ReLU output (dropout's
    /// `h = relu(z) ⊙ mask`).
    func loss(_ params: [[Double]], x: [Double], labels: [Int32], n: Int, reg: Double,
              masks: [[Double]]? = nil) -> Double {
        let (h, penalty) = outputs(params, x: x, n: n, masks: masks)
        return DoubleLayers.crossEntropy(h, labels, n: n, c: shape.classCount) + reg * penalty
    }

    /// The regression loss: mean squared error over all N·K outputs + reg·Σ‖W‖².
    func loss(_ params: [[Double]], x: [Double], targets: [Double], n: Int, reg: Double) -> Double {
        let (h, penalty) = outputs(params, x: x, n: n, masks: nil)
        return DoubleLayers.meanSquaredError(h, targets) + reg * penalty
    }

    /// The output layer's values (with bias) and `Σ‖W‖²`.
    func outputs(_ params: [[Double]], x: [Double], n: Int, masks: [[Double]]?) -> (outputs: [Double], penalty: Double) {
        let widths = shape.widths
        var h = x, k = 0
        for l in 0..<shape.layerCount {
            let (i, o) = (widths[l], widths[l + 1])
            let hidden = l < shape.layerCount - 1
            var z: [Double]
            if shape.batchNorm && hidden {
                z = DoubleLayers.affine(h, params[k], [Double](repeating: 0, count: o), n: n, i: i, o: o)
                z = DoubleLayers.batchNorm(z, params[k + 1], params[k + 2], n: n, c: o)
                k += 3
            } else {
                z = DoubleLayers.affine(h, params[k], params[k + 1], n: n, i: i, o: o)
                k += 2
            }
            if !hidden {
                h = z
            } else if let mask = masks?[l] {
                h = zip(z, mask).map { max($0, 0) * $1 }
            } else {
                h = z.map { max($0, 0) }
            }
        }
        var penalty = 0.0
        for (p, w) in zip(params, isWeight) where w { penalty += p.reduce(0) { $0 + $1 * $1 } }
        return (h, penalty)
    }
}

extension MLP {
    /// Values of every parameter tensor, in order.
    var parameterValues: [[Float]] {
        parameters.map { Array(UnsafeBufferPointer(start: $0.value, count: $0.count)) }
    }
    var gradientValues: [[Float]] {
        parameters.map { Array(UnsafeBufferPointer(start: $0.gradient, count: $0.count)) }
    }

    /// He weights, and biases, γ and β moved away from 0/1 so that their gradients are
    /// checked at a general point.
    static func forChecks(_ shape: MLPShape, maxBatch: Int, seed: UInt64) -> MLP {
        let net = MLP(shape: shape, maxBatch: maxBatch)
        net.initialize(.he, seed: seed)
        for (k, p) in net.parameters.enumerated() where !p.isWeight {
            let values = gaussianArray(p.count, seed: seed &+ 1000 &+ UInt64(k), std: 0.2)
            for j in 0..<p.count { p.value[j] = Float(values[j]) + (k % 3 == 1 && shape.batchNorm ? 1 : 0) }
        }
        return net
    }
}

@Suite struct MLPGradientTests {
    static let cases: [(hidden: [Int], batchNorm: Bool)] = [
        ([7], false), ([7], true), ([6, 5], false), ([6, 5], true), ([6, 5, 4], false), ([6, 5, 4], true),
    ]

    @Test(arguments: 0..<6)
    func wholeNetwork(caseIndex: Int) {
        let (hidden, batchNorm) = Self.cases[caseIndex]
        let shape = MLPShape(inputWidth: 5, hidden: hidden, classCount: 3, batchNorm: batchNorm)
        let n = 8, reg = 0.07
        let net = MLP.forChecks(shape, maxBatch: n, seed: 40 + UInt64(caseIndex))
        let x = gaussianArray(n * 5, seed: 50 + UInt64(caseIndex)).floats
        let labels = labelsArray(n, classes: 3, seed: 60 + UInt64(caseIndex))
        let loss = net.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: reg)
        let analytic = net.gradientValues

        let reference = DoubleMLP(shape: shape, isWeight: net.parameters.map(\.isWeight))
        let params = net.parameterValues.map(\.doubles)
        let xd = x.doubles
        let exact = reference.loss(params, x: xd, labels: labels, n: n, reg: reg)
        #expect(abs(loss - exact) < 1e-5 * max(1, abs(exact)), "Float loss \(loss) vs Double \(exact)")
        for k in params.indices {
            let numeric = numericalGradient(at: params[k]) { probe in
                var p = params
                p[k] = probe
                return reference.loss(p, x: xd, labels: labels, n: n, reg: reg)
            }
            expectGradient(analytic[k], numeric, "\(hidden) bn=\(batchNorm) tensor \(k)")
        }
    }

    /// The whole-network check fails on a gradient with one entry off by 1 %, and on the
    /// gradient without its L2 term.
    @Test func catchesWrongNetworkGradients() {
        let shape = MLPShape(inputWidth: 5, hidden: [6, 5], classCount: 3, batchNorm: true)
        let n = 8, reg = 0.07
        let net = MLP.forChecks(shape, maxBatch: n, seed: 9)
        let x = gaussianArray(n * 5, seed: 10).floats
        let labels = labelsArray(n, classes: 3, seed: 11)
        _ = net.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: reg)
        var analytic = net.gradientValues[0]
        let reference = DoubleMLP(shape: shape, isWeight: net.parameters.map(\.isWeight))
        let params = net.parameterValues.map(\.doubles)
        let numeric = numericalGradient(at: params[0]) { probe in
            var p = params
            p[0] = probe
            return reference.loss(p, x: x.doubles, labels: labels, n: n, reg: reg)
        }
        #expect(relativeGradientError(analytic: analytic, numeric: numeric) <= gradientTolerance)
        let k = analytic.indices.max { abs(analytic[$0]) < abs(analytic[$1]) }!
        analytic[k] *= 1.01
        #expect(relativeGradientError(analytic: analytic, numeric: numeric) > gradientTolerance)

        _ = net.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: 0)
        #expect(relativeGradientError(analytic: net.gradientValues[0], numeric: numeric) > gradientTolerance)
    }
}
