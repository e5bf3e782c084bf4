import Foundation
import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Gaussian blobs: class `k` is centred at a random point with coordinates of standard
/// deviation `separation`, each row adds unit noise. Learnable, but not linearly trivial
/// at the default separation. Sizes are small so that debug builds stay fast.
func blobs(classes: Int = 4, features: Int = 10, train: Int = 1_200, validation: Int = 400,
           test: Int = 400, separation: Double = 1.5, seed: UInt64 = 0) -> DatasetSplits {
    var centreRNG = Philox4x32(seed: seed, stream: 1)
    let centres = (0..<classes * features).map { _ in separation * centreRNG.nextGaussian() }
    var rowRNG = Philox4x32(seed: seed, stream: 2)
    func split(_ rows: Int) -> LabeledMatrix {
        var values = [Float](), labels = [Int32]()
        for _ in 0..<rows {
            let k = rowRNG.nextInt(below: classes)
            labels.append(Int32(k))
            for j in 0..<features { values.append(Float(centres[k * features + j] + rowRNG.nextGaussian())) }
        }
        return LabeledMatrix(rows: rows, columns: features, values: values, labels: labels)
    }
    return DatasetSplits(name: "blobs", classCount: classes, train: split(train),
                         validation: split(validation), test: split(test))
}

@Suite struct TrainerTests {
    let data = blobs()

    @Test func learnsBlobsWithTheSeedsRecipe() {
        // The seed's two-layer net and plain SGD, with a learning rate for unscaled data.
        let config = TrialConfig(hidden: [32], optimizer: .sgd, learningRate: 0.5, learningRateDecay: 0.95,
                                 reg: 1e-4, batchSize: 50, length: .epochs(8), initScheme: .gaussian(std: 1e-2),
                                 seed: 3)
        let outcome = Trainer().train(config: config, data: data, evaluateTest: true)
        let m = outcome.metrics
        #expect(m.status == .done && m.reason == nil)
        #expect(m.iterations == 8 * (1_200 / 50))
        #expect(m.validationAccuracy! > 0.85)     // chance is 0.25
        #expect(m.trainAccuracy! > 0.85 && m.testAccuracy! > 0.85)
        #expect(outcome.history.loss.first! > outcome.history.loss.last!)
        // std 1e-2 makes all scores ≈ 0 at first: the first loss is ≈ log 4.
        #expect(abs(Double(outcome.history.loss[0]) - log(4.0)) < 0.01)
        #expect(m.samplesPerSecond > 0 && m.wallSeconds > 0)
    }

    @Test(arguments: [OptimizerKind.momentum, .nesterov, .adam])
    func learnsBlobsWithDeeperBatchNormNets(optimizer: OptimizerKind) {
        let config = TrialConfig(hidden: [24, 16], batchNorm: true, optimizer: optimizer, momentum: 0.9,
                                 learningRate: optimizer == .adam ? 3e-3 : 0.05, reg: 1e-4,
                                 batchSize: 40, length: .epochs(5), initScheme: .he, seed: 4)
        let m = Trainer().train(config: config, data: data).metrics
        #expect(m.status == .done)
        #expect(m.validationAccuracy! > 0.85, "\(optimizer): \(m.validationAccuracy!)")
    }

    /// Same config and seed: identical bits in the whole history and every metric except
    /// the timings. A different seed changes them.
    @Test(arguments: [false, true])
    func deterministic(batchNorm: Bool) throws {
        let config = TrialConfig(hidden: [16, 8], batchNorm: batchNorm, optimizer: .adam, learningRate: 1e-2,
                                 reg: 1e-3, batchSize: 32, length: .epochs(2), initScheme: .he, seed: 11)
        let a = Trainer().train(config: config, data: data, evaluateTest: true)
        let b = Trainer().train(config: config, data: data, evaluateTest: true)
        #expect(a.history == b.history)
        #expect(a.history.loss.map(\.bitPattern) == b.history.loss.map(\.bitPattern))
        var (ma, mb) = (a.metrics, b.metrics)
        (ma.wallSeconds, ma.samplesPerSecond, mb.wallSeconds, mb.samplesPerSecond) = (0, 0, 0, 0)
        #expect(ma == mb)
        var other = config
        other.seed = 12
        #expect(Trainer().train(config: other, data: data).history.loss != a.history.loss)
        // The outcome encodes (no NaN or infinity anywhere).
        _ = try JSONEncoder().encode(a)
    }

    @Test func hugeLearningRateIsReportedAsDiverged() throws {
        let config = TrialConfig(hidden: [16], optimizer: .sgd, learningRate: 1e12, batchSize: 20,
                                 length: .epochs(3), initScheme: .he, seed: 5)
        let outcome = Trainer().train(config: config, data: data)
        #expect(outcome.metrics.status == .diverged)
        #expect(outcome.metrics.reason?.contains("iteration") == true)
        #expect(outcome.metrics.iterations < 3 * 60)
        #expect(outcome.metrics.validationAccuracy == nil && outcome.metrics.finalLoss == nil)
        #expect(outcome.history.loss.allSatisfy { $0.isFinite })
        _ = try JSONEncoder().encode(outcome)
    }

    @Test func progressCanCancel() {
        let config = TrialConfig(hidden: [8], learningRate: 0.1, batchSize: 100, length: .epochs(10), seed: 6)
        var reports: [EpochReport] = []
        let outcome = Trainer().train(config: config, data: data) { report in
            reports.append(report)
            return report.epoch < 2
        }
        #expect(outcome.metrics.status == .failed)
        #expect(outcome.metrics.reason?.hasPrefix("cancelled") == true)
        #expect(outcome.metrics.iterations == 2 * 12)
        #expect(reports.map(\.epoch) == [1, 2] && reports.map(\.iteration) == [12, 24])
        #expect(outcome.history.trainAccuracy.count == 2 && outcome.history.validationAccuracy.count == 2)
        #expect(outcome.metrics.validationAccuracy == reports.last?.validationAccuracy)
    }

    /// Epoch bookkeeping: iterations per epoch, loss recording stride, learning-rate decay.
    @Test func epochSemantics() {
        let config = TrialConfig(hidden: [8], learningRate: 0.2, learningRateDecay: 0.5, batchSize: 300,
                                 length: .epochs(3), seed: 7, lossEvery: 4)
        var rates: [Double] = []
        let outcome = Trainer().train(config: config, data: data) { rates.append($0.learningRate); return true }
        #expect(outcome.metrics.iterations == 12)                    // 1200 / 300 = 4 per epoch
        #expect(outcome.history.lossEvery == 4 && outcome.history.loss.count == 3)   // iterations 0, 4, 8
        #expect(rates == [0.2, 0.1, 0.05])
        #expect(outcome.history.trainAccuracy.count == 3)
        // Fewer rows than a batch: one iteration per epoch.
        let tiny = blobs(train: 10, validation: 5, test: 0)
        let t = Trainer().train(config: TrialConfig(hidden: [4], batchSize: 64, length: .epochs(2), seed: 1), data: tiny)
        #expect(t.metrics.iterations == 2 && t.history.trainAccuracy.count == 2 && t.metrics.testAccuracy == nil)
    }

    /// The trainer's loss history is exactly a hand-written loop over the kernel in the
    /// seed's order: sample, loss and gradient, record, update.
    @Test func matchesAHandWrittenLoop() {
        let config = TrialConfig(hidden: [12], optimizer: .momentum, momentum: 0.8, learningRate: 0.05,
                                 reg: 0.01, batchSize: 25, length: .iterations(30), initScheme: .he, seed: 8)
        let outcome = Trainer().train(config: config, data: data)
        let net = MLP(shape: MLPShape(inputWidth: 10, hidden: [12], classCount: 4, batchNorm: false), maxBatch: 256)
        net.initialize(.he, seed: 8)
        let optimizer = Optimizer(rule: .momentum(0.8), parameters: net.parameters)
        let sampler = MinibatchSampler(seed: 8, batchSize: 25, columns: 10)
        var losses: [Float] = []
        data.train.labels.withUnsafeBufferPointer { labels in
            for _ in 0..<30 {
                sampler.next(features: data.train.features.base, labels: labels.baseAddress!, rows: 1_200)
                let loss = net.lossAndGradients(x: sampler.features, labels: sampler.labels, rows: 25)
                losses.append(Float(loss + net.l2Penalty(reg: 0.01)))
                optimizer.step(learningRate: 0.05, reg: 0.01)
            }
        }
        #expect(outcome.history.loss == losses)
    }

    @Test func invalidInputFailsWithAReason() {
        let bad = [TrialConfig(batchSize: 0), TrialConfig(hidden: [0]), TrialConfig(learningRate: .nan),
                   TrialConfig(initScheme: .gaussian(std: 0)), TrialConfig(lossEvery: 0),
                   TrialConfig(length: .iterations(-1))]
        for config in bad {
            let m = Trainer().train(config: config, data: data).metrics
            #expect(m.status == .failed && m.reason != nil)
        }
        let wrongLabels = DatasetSplits(name: "x", classCount: 2, train: data.train, validation: data.validation,
                                        test: data.test)   // labels go up to 3
        #expect(Trainer().train(config: TrialConfig(), data: wrongLabels).metrics.reason?.contains("label") == true)
    }

    /// The trainer applies the same ranges as grid files and `train` (it used to check only
    /// that numbers were non-negative, so momentum 1.5 trained and diverged).
    @Test(arguments: [(TrialConfig(optimizer: .momentum, momentum: 1.5), "training.momentum: must be in [0, 1), got 1.5"),
                      (TrialConfig(learningRateDecay: 3), "training.decay: must be in (0, 1], got 3.0")])
    func outOfRangeConfigFailsWithTheSharedReason(config: TrialConfig, reason: String) {
        let m = Trainer().train(config: config, data: data).metrics
        #expect(m.status == .failed && m.reason == reason && m.iterations == 0)
    }

    /// Prints the training throughput of the seed's two-layer net (D 99, H 256, batch 200)
    /// with whatever `gemm` is linked; never fails on speed. Meaningful only in release
    /// (`swift test -c release --filter throughput`); debug runs a token amount.
    @Test func throughput() {
        #if DEBUG
        let (iterations, repeats) = (2, 1)
        #else
        let (iterations, repeats) = (300, 2)
        #endif
        let rate = ThroughputProbe.measure(iterations: iterations, repeats: repeats)
        print("hypergrid throughput: two-layer D=99 H=256 batch 200 SGD: \(Int(rate.samplesPerSecond)) samples/s "
              + "(wall), \(Int(rate.samplesPerCPUSecond)) samples per CPU second")
        #expect(rate.samplesPerSecond > 0 && rate.samplesPerCPUSecond > 0)
    }
}
