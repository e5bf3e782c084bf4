#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import HypergridKernel

@Suite struct MLPTests {
    /// Odd widths (vector tails everywhere) with and without BatchNorm, 1 to 3 hidden layers.
    static let shapes: [MLPShape] = [
        MLPShape(inputWidth: 13, hidden: [19], classCount: 10, batchNorm: false),
        MLPShape(inputWidth: 13, hidden: [19, 11], classCount: 7, batchNorm: true),
        MLPShape(inputWidth: 9, hidden: [17, 11, 5], classCount: 3, batchNorm: false),
        MLPShape(inputWidth: 9, hidden: [17, 11, 5], classCount: 3, batchNorm: true),
    ]

    /// The fast training pass produces the same bits as the plain layer composition:
    /// loss, every gradient and the BatchNorm running statistics, over several steps.
    @Test(arguments: 0..<4)
    func fastPathMatchesReference(shapeIndex: Int) {
        let shape = Self.shapes[shapeIndex]
        let n = 11
        let fast = MLP(shape: shape, maxBatch: 16), plain = MLP(shape: shape, maxBatch: 16)
        fast.initialize(.he, seed: 7)
        plain.initialize(.he, seed: 7)
        let of = Optimizer(rule: .momentum(0.9), parameters: fast.parameters)
        let op = Optimizer(rule: .momentum(0.9), parameters: plain.parameters)
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 20 + UInt64(step)).floats
            let labels = labelsArray(n, classes: shape.classCount, seed: 30 + UInt64(step))
            let lf = fast.lossAndGradients(x: x, labels: labels, rows: n)
            let lp = plain.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: 0)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues)
            of.step(learningRate: 0.05, reg: 0)
            op.step(learningRate: 0.05, reg: 0)
        }
        #expect(fast.parameterValues == plain.parameterValues)
        for l in shape.hidden.indices where shape.batchNorm {
            let (a, b) = (fast.runningStatistics(layer: l)!, plain.runningStatistics(layer: l)!)
            let c = shape.hidden[l]
            #expect(Array(UnsafeBufferPointer(start: a.mean, count: c)) == Array(UnsafeBufferPointer(start: b.mean, count: c)))
            #expect(Array(UnsafeBufferPointer(start: a.variance, count: c)) == Array(UnsafeBufferPointer(start: b.variance, count: c)))
        }
    }

    @Test func parameterLayout() {
        let plain = MLP(shape: MLPShape(inputWidth: 4, hidden: [5, 6], classCount: 3, batchNorm: false), maxBatch: 2)
        #expect(plain.parameters.map(\.count) == [20, 5, 30, 6, 18, 3])
        #expect(plain.parameters.map(\.isWeight) == [true, false, true, false, true, false])
        #expect(plain.parameterCount == 82)
        let bn = MLP(shape: MLPShape(inputWidth: 4, hidden: [5, 6], classCount: 3, batchNorm: true), maxBatch: 2)
        #expect(bn.parameters.map(\.count) == [20, 5, 5, 30, 6, 6, 18, 3])   // W, γ, β, …, W, b
        #expect(bn.parameterCount == 93)
        #expect(bn.parameters.allSatisfy { Int(bitPattern: $0.value) % 64 == 0 })
        #expect(plain.shape.multiplyAddsPerSample == 20 + 30 + 18)
    }

    @Test func initialization() {
        let shape = MLPShape(inputWidth: 400, hidden: [50], classCount: 10, batchNorm: true)
        let a = MLP(shape: shape, maxBatch: 4), b = MLP(shape: shape, maxBatch: 4), c = MLP(shape: shape, maxBatch: 4)
        a.initialize(.he, seed: 1)
        b.initialize(.he, seed: 1)
        c.initialize(.he, seed: 2)
        #expect(a.parameterValues == b.parameterValues)
        #expect(a.parameterValues[0] != c.parameterValues[0])
        // He: std sqrt(2/400) ≈ 0.0707 over 20 000 draws (standard error of the std ≈ 0.5 %).
        let w = a.parameterValues[0].doubles
        let std = (w.map { $0 * $0 }.reduce(0, +) / Double(w.count)).squareRoot()
        #expect(abs(std / (2.0 / 400).squareRoot() - 1) < 0.03)
        #expect(a.parameterValues[1].allSatisfy { $0 == 1 } && a.parameterValues[2].allSatisfy { $0 == 0 })
        let stats = a.runningStatistics(layer: 0)!
        #expect(stats.mean[0] == 0 && stats.variance[49] == 1)

        a.initialize(.gaussian(std: 1e-4), seed: 1)
        let small = a.parameterValues[3].doubles    // the output layer's weights
        let smallStd = (small.map { $0 * $0 }.reduce(0, +) / Double(small.count)).squareRoot()
        #expect(abs(smallStd / 1e-4 - 1) < 0.15)    // 500 draws
    }

    /// Predictions over many rows in chunks equal row-at-a-time predictions, and
    /// `countCorrect` agrees with them.
    @Test(arguments: [false, true])
    func chunkedEvaluation(batchNorm: Bool) {
        let shape = MLPShape(inputWidth: 6, hidden: [9, 7], classCount: 4, batchNorm: batchNorm)
        let net = MLP(shape: shape, maxBatch: 8)
        net.initialize(.he, seed: 3)
        // One training pass moves the running statistics away from (0, 1).
        let xt = gaussianArray(8 * 6, seed: 4).floats
        _ = net.lossAndGradients(x: xt, labels: labelsArray(8, classes: 4, seed: 5), rows: 8)
        let rows = 29
        let x = gaussianArray(rows * 6, seed: 6).floats
        let labels = labelsArray(rows, classes: 4, seed: 7)
        var chunked = [Int32](repeating: -1, count: rows)
        net.predict(x: x, rows: rows, into: &chunked)
        var single = [Int32](repeating: -1, count: rows)
        for r in 0..<rows {
            x.withUnsafeBufferPointer { net.predict(x: $0.baseAddress! + r * 6, rows: 1, into: &single[r]) }
        }
        #expect(chunked == single)
        #expect(Set(chunked).count > 1)
        #expect(net.countCorrect(x: x, labels: labels, rows: rows) == zip(chunked, labels).filter { $0 == $1 }.count)
    }

    /// Without BatchNorm, inference scores are the training forward's scores.
    @Test func inferenceScoresMatchTrainingForward() {
        let shape = MLPShape(inputWidth: 5, hidden: [7], classCount: 4, batchNorm: false)
        let net = MLP(shape: shape, maxBatch: 6)
        net.initialize(.he, seed: 8)
        let x = gaussianArray(6 * 5, seed: 9).floats
        let scores = Array(UnsafeBufferPointer(start: net.inferenceScores(x: x, rows: 6), count: 24))
        let labels = labelsArray(6, classes: 4, seed: 10)
        let loss = net.referenceLossAndGradients(x: x, labels: labels, rows: 6, reg: 0)
        var expected = 0.0
        for r in 0..<6 {
            let row: [Double] = Array(scores[(r * 4)..<(r * 4 + 4)]).doubles
            let m = row.max()!
            let sumExp = row.map { exp($0 - m) }.reduce(0, +)
            expected += (m + log(sumExp) - row[Int(labels[r])]) / 6
        }
        #expect(abs(loss - expected) < 1e-6)
    }

    @Test func weightSquareSumCoversWeightsOnly() {
        let net = MLP(shape: MLPShape(inputWidth: 3, hidden: [2], classCount: 2, batchNorm: false), maxBatch: 1)
        for p in net.parameters { p.value.update(repeating: p.isWeight ? 2 : 100, count: p.count) }
        #expect(net.weightSquareSum() == Double(4 * (6 + 4)))
        #expect(net.l2Penalty(reg: 0.5) == 20)
    }
}
