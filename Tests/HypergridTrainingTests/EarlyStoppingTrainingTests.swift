import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Early stopping through the trainer: it stops, it keeps the best epoch's weights (the
/// reported figures, the checkpoint and so a kept model all come from them), it is the same on
/// any thread count, and with no validation rows to watch it trains the whole length.
@Suite struct EarlyStoppingTrainingTests {
    /// Few training rows and a wide net with a high rate: validation accuracy peaks early and
    /// then stalls or falls as the net memorises the training rows.
    static let data = blobs(classes: 4, features: 10, train: 240, validation: 400, test: 400, seed: 11)

    static func config(patience: Int? = 4, epochs: Int = 60) -> TrialConfig {
        var c = TrialConfig(hidden: [128], optimizer: .adam, learningRate: 1e-2, learningRateDecay: 1, reg: 0,
                            batchSize: 30, length: .epochs(epochs), initScheme: .he, seed: 4)
        c.earlyStop = patience
        return c
    }

    @Test func stopsAndKeepsTheBestEpochsWeights() throws {
        let trainer = Trainer()
        let stopped = trainer.trainWithCheckpoints(config: Self.config(), data: Self.data, evaluateTest: true,
                                                   saveCheckpoint: true)
        let m = stopped.outcome.metrics, curve = stopped.outcome.history.validationAccuracy
        let perEpoch = 240 / 30
        #expect(m.status == .done && m.reason == nil)
        // Stopped early: `patience` epochs after the best one, long before 60.
        #expect(m.iterations < 60 * perEpoch && m.iterations == curve.count * perEpoch, "\(m.iterations)")
        let best = try #require(curve.max())
        let bestEpoch = try #require(curve.firstIndex(of: best)) + 1
        #expect(curve.count == bestEpoch + 4, "\(curve)")
        // The reported figure is the best epoch's, not the last one's.
        #expect(m.validationAccuracy == best)
        #expect(curve.last! < best || curve.count > bestEpoch)

        // Those are the weights of a trial that trained exactly `bestEpoch` epochs without
        // early stopping: the same bits, so the checkpoint (and a kept model, an ONNX export)
        // holds the weights the reported figures were measured on.
        let plain = trainer.trainWithCheckpoints(config: Self.config(patience: nil, epochs: bestEpoch), data: Self.data,
                                                 evaluateTest: true, saveCheckpoint: true)
        let a = try #require(stopped.checkpoint), b = try #require(plain.checkpoint)
        #expect(a.network.map(\.bitPattern) == b.network.map(\.bitPattern))
        #expect(plain.outcome.metrics.validationAccuracy == m.validationAccuracy)
        #expect(plain.outcome.metrics.testAccuracy == m.testAccuracy && m.testAccuracy != nil)
        #expect(plain.outcome.metrics.trainAccuracy == m.trainAccuracy)
    }

    @Test func theSameOnAnyThreadCount() {
        let one = Trainer(threads: 1).train(config: Self.config(), data: Self.data)
        let two = Trainer(threads: 2).train(config: Self.config(), data: Self.data)
        let three = Trainer(threads: 3).train(config: Self.config(), data: Self.data)
        #expect(one.history == two.history && one.history == three.history)
        #expect(one.metrics.iterations == two.metrics.iterations && one.metrics.iterations == three.metrics.iterations)
        #expect(one.metrics.validationAccuracy == two.metrics.validationAccuracy
                && one.metrics.validationAccuracy == three.metrics.validationAccuracy)
    }

    /// A tolerance the metric never beats stops `patience` epochs after the first epoch, which
    /// is then the one kept.
    @Test func aToleranceRaisesTheBar() {
        var c = Self.config(patience: 3)
        c.earlyStopTolerance = 0.5
        let outcome = Trainer().train(config: c, data: Self.data)
        #expect(outcome.history.validationAccuracy.count == 4)
        #expect(outcome.metrics.validationAccuracy == outcome.history.validationAccuracy[0])
    }

    /// Regression watches the validation RMSE, lower is better.
    @Test func regressionKeepsTheLowestRMSE() throws {
        var c = RegressionTrainingTests.config()
        (c.length, c.learningRate, c.earlyStop) = (.epochs(80), 2e-2, 3)
        let data = RegressionTrainingTests.data(targets: 1)
        let outcome = Trainer().train(config: c, data: data)
        let curve = try #require(outcome.history.validationRMSE)
        let best = try #require(curve.min())
        #expect(outcome.metrics.status == .done)
        #expect(curve.count < 80 && curve.count == (curve.firstIndex(of: best)! + 1) + 3, "\(curve)")
        #expect(outcome.metrics.validationRegression?.rmse == best)
    }

    /// A refit on train+validation has no validation rows to watch: it trains its whole length.
    @Test func withoutValidationRowsItTrainsTheWholeLength() {
        var c = Self.config(epochs: 12)
        c.refit = .trainValidation
        let outcome = Trainer().train(config: c, data: Self.data, evaluateTest: true)
        #expect(outcome.metrics.status == .done && outcome.metrics.iterations == 12 * ((240 + 400) / 30))
        #expect(outcome.metrics.testAccuracy != nil)
    }

    /// Off (nil, or 0 spelled out) trains the very bits of a config from before the field.
    @Test func offIsTheOldTraining() {
        let plain = Self.config(patience: nil, epochs: 6)
        var zero = plain
        zero.earlyStop = 0
        #expect(zero.canonicalized == plain)
        let a = Trainer().train(config: plain, data: Self.data), b = Trainer().train(config: zero, data: Self.data)
        #expect(a.history == b.history && a.metrics.validationAccuracy == b.metrics.validationAccuracy)
    }

    /// Halving budgets continue from checkpoints, which keep no best weights: refused in one
    /// sentence (the grid parser refuses the combination before it gets here).
    @Test func aHalvingBudgetIsRefused() {
        var c = Self.config()
        c.stopAfterEpochs = 2
        let outcome = Trainer().train(config: c, data: Self.data)
        #expect(outcome.metrics.status == .failed)
        #expect(outcome.metrics.reason == "training.early_stop: does not combine with a halving budget (stopAfterEpochs)")
    }
}
