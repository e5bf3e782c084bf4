import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Continuing from a checkpoint must be the same computation as never stopping: weights,
/// optimizer state, BatchNorm running statistics, curves and metrics compared with `==`.
@Suite struct CheckpointTests {
    let data = blobs(classes: 3, features: 8, train: 600, validation: 150, test: 150)

    func config(_ optimizer: OptimizerKind, batchNorm: Bool, epochs: Int = 5) -> TrialConfig {
        TrialConfig(hidden: batchNorm ? [16, 12] : [16], batchNorm: batchNorm, optimizer: optimizer,
                    momentum: 0.9, learningRate: optimizer == .adam ? 3e-3 : 0.1, learningRateDecay: 0.9,
                    reg: 1e-3, batchSize: 40, length: .epochs(epochs), initScheme: .he, seed: 11,
                    lossEvery: 4)
    }

    /// Everything but the timings and where the trial continued from.
    func comparable(_ m: TrialMetrics) -> TrialMetrics {
        var m = m
        (m.wallSeconds, m.samplesPerSecond, m.resumedAt) = (0, 0, nil)
        return m
    }

    @Test(arguments: [OptimizerKind.sgd, .momentum, .nesterov, .adam], [false, true])
    func continuingIsBitIdenticalToNotStopping(optimizer: OptimizerKind, batchNorm: Bool) throws {
        let full = config(optimizer, batchNorm: batchNorm)
        var first = full
        first.stopAfterEpochs = 2
        let trainer = Trainer()
        let straight = trainer.trainWithCheckpoints(config: full, data: data, saveCheckpoint: true)
        let part = trainer.trainWithCheckpoints(config: first, data: data, saveCheckpoint: true)
        #expect(part.outcome.metrics.iterations == 2 * (600 / 40))
        // Through the blob, as a worker receives it.
        let blob = try #require(part.checkpoint).encoded()
        let resumed = trainer.trainWithCheckpoints(config: full, data: data, resume: try TrainingCheckpoint(decoding: blob),
                                    saveCheckpoint: true)
        #expect(resumed.resumeProblem == nil)
        #expect(resumed.outcome.metrics.resumedAt == 2 * (600 / 40))
        #expect(resumed.outcome.metrics.samplesTrained(batchSize: 40) == 3 * (600 / 40) * 40)
        #expect(straight.outcome.metrics.status == .done)
        #expect(comparable(resumed.outcome.metrics) == comparable(straight.outcome.metrics))
        #expect(resumed.outcome.history == straight.outcome.history)
        let a = try #require(straight.checkpoint), b = try #require(resumed.checkpoint)
        #expect(a.network == b.network)                 // weights and BatchNorm running stats
        #expect(a.optimizerBuffers == b.optimizerBuffers && a.optimizerSteps == b.optimizerSteps)
        #expect(a.sampler == b.sampler && a.learningRate == b.learningRate && a.epoch == b.epoch)
        #expect(a == b)
    }

    @Test func checkpointsChainAcrossSeveralRungs() throws {
        // 1 → 3 → 5 epochs, as halving rungs continue, against 5 straight.
        let full = config(.adam, batchNorm: true)
        let trainer = Trainer()
        var checkpoint: TrainingCheckpoint?
        var last: TrialOutcome?
        for stop in [1, 3, nil] as [Int?] {
            var c = full
            c.stopAfterEpochs = stop
            let run = trainer.trainWithCheckpoints(config: c, data: data, resume: checkpoint, saveCheckpoint: stop != nil)
            #expect(run.resumeProblem == nil)
            checkpoint = run.checkpoint
            last = run.outcome
        }
        let straight = trainer.train(config: full, data: data)
        #expect(comparable(try #require(last).metrics) == comparable(straight.metrics))
        #expect(last!.history == straight.history)
    }

    @Test func aCheckpointOfAnotherConfigIsIgnoredAndTheResultIsUnchanged() throws {
        var other = config(.sgd, batchNorm: false)
        other.stopAfterEpochs = 1
        let foreign = try #require(Trainer().trainWithCheckpoints(config: other, data: data, saveCheckpoint: true).checkpoint)
        var target = config(.sgd, batchNorm: false)
        target.learningRate = 0.05
        let run = Trainer().trainWithCheckpoints(config: target, data: data, resume: foreign)
        #expect(run.resumeProblem == "it belongs to another configuration")
        #expect(run.outcome.metrics.resumedAt == nil)
        #expect(comparable(run.outcome.metrics) == comparable(Trainer().train(config: target, data: data).metrics))
    }

    @Test func damagedOrForeignBlobsAreRefused() throws {
        var c = config(.momentum, batchNorm: true)
        c.stopAfterEpochs = 1
        let blob = try #require(Trainer().trainWithCheckpoints(config: c, data: data, saveCheckpoint: true).checkpoint).encoded()
        #expect(try TrainingCheckpoint(decoding: blob).encoded() == blob)
        var flipped = blob
        flipped[blob.count / 2] ^= 0x10
        #expect(throws: CheckpointError("checksum mismatch: the checkpoint is damaged")) { try TrainingCheckpoint(decoding: flipped) }
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint(decoding: Array(blob.prefix(40))) }
        #expect(throws: CheckpointError("not a hypergrid checkpoint")) { try TrainingCheckpoint(decoding: Array("HGDATA..........".utf8)) }
    }

    @Test func refitOnTrainAndValidationTrainsOnBothAndMeasuresTest() {
        var c = config(.sgd, batchNorm: false, epochs: 2)
        c.refit = .trainValidation
        let run = Trainer().train(config: c, data: data, evaluateTest: true)
        // 750 rows of 40: 18 iterations an epoch instead of 15.
        #expect(run.metrics.iterations == 2 * (750 / 40))
        #expect(run.metrics.validationAccuracy == nil && run.metrics.testAccuracy != nil)
        c.refit = .train
        let trainOnly = Trainer().train(config: c, data: data, evaluateTest: true)
        #expect(trainOnly.metrics.iterations == 2 * (600 / 40) && trainOnly.metrics.validationAccuracy != nil)
    }
}

@Suite struct HalvingBudgetValidationTests {
    @Test func aNonPositiveBudgetFailsTheTrialInsteadOfTrapping() {
        var c = TrialConfig(hidden: [4], batchSize: 10, length: .epochs(3))
        c.stopAfterEpochs = 0
        let m = Trainer().train(config: c, data: blobs(train: 50, validation: 10, test: 10)).metrics
        #expect(m.status == .failed && m.reason == "stopAfterEpochs must be at least 1, got 0")
    }
}
