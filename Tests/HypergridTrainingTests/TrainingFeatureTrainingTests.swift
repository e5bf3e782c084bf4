import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// The training features of issue 19 through the trainer: random crop, label smoothing and
/// decoupled weight decay learn, are reproducible at any thread count, change training when
/// on and nothing when "off", continue bit-identically from a checkpoint, and refuse data
/// they cannot work on with one sentence.
@Suite struct TrainingFeatureTrainingTests {
    static var images: DatasetSplits { ModelFeatureTrainingTests.asymmetricImages }

    static func featureConfig(seed: UInt64 = 5) -> TrialConfig {
        var c = ModelFeatureTrainingTests.featureConfig(seed: seed)
        c.randomCrop = 2
        c.labelSmoothing = 0.1
        c.weightDecay = 0.05
        return c
    }

    @Test func learnsAndIsReproducibleAtAnyThreadCount() {
        let config = Self.featureConfig()
        let one = Trainer(threads: 1).train(config: config, data: Self.images)
        let again = Trainer(threads: 1).train(config: config, data: Self.images)
        let two = Trainer(threads: 2).train(config: config, data: Self.images)
        let three = Trainer(threads: 3).train(config: config, data: Self.images)
        #expect(one.metrics.status == .done)
        #expect(one.metrics.validationAccuracy! > 0.8, "\(one.metrics.validationAccuracy!)")
        #expect(one.history.loss.map(\.bitPattern) == again.history.loss.map(\.bitPattern))
        #expect(one.history == two.history && one.history == three.history)
        #expect(one.metrics.validationAccuracy == two.metrics.validationAccuracy)
        #expect(one.metrics.trainAccuracy == three.metrics.trainAccuracy)
        // Each feature really changes training.
        var noCrop = config, noSmoothing = config, noDecay = config
        (noCrop.randomCrop, noSmoothing.labelSmoothing, noDecay.weightDecay) = (nil, nil, nil)
        for other in [noCrop, noSmoothing, noDecay] {
            #expect(Trainer().train(config: other, data: Self.images).history.loss != one.history.loss)
        }
    }

    /// Spelling the features "off" (0) trains the same bits as a config without them.
    @Test func offIsTheOldTraining() {
        let plain = TrialConfig(hidden: [32], batchNorm: true, optimizer: .adam, learningRate: 3e-3,
                                batchSize: 40, length: .epochs(2), initScheme: .he, seed: 2)
        var off = plain
        (off.randomCrop, off.labelSmoothing, off.weightDecay) = (0, 0, 0)
        FeatureChecks.expectSameTraining(plain, off, data: Self.images)
    }

    /// Crops are keyed by the iteration: stopping after 2 of 4 epochs and continuing is the
    /// same computation as never stopping.
    @Test func continuingFromACheckpointIsBitIdentical() throws {
        try FeatureChecks.expectContinuationIsBitIdentical(Self.featureConfig(), data: Self.images)
    }

    /// Epoch-wise shuffling: reproducible at any thread count, different from sampling with
    /// replacement, "off" the old training, and continued bit-identically from a checkpoint.
    @Test func shuffledEpochs() throws {
        var config = Self.featureConfig()
        config.shuffle = true
        let one = Trainer(threads: 1).train(config: config, data: Self.images)
        let three = Trainer(threads: 3).train(config: config, data: Self.images)
        #expect(one.metrics.status == .done && one.metrics.validationAccuracy! > 0.8)
        #expect(one.history == three.history)
        var replacement = config
        replacement.shuffle = false
        let old = Trainer().train(config: Self.featureConfig(), data: Self.images)
        let off = Trainer().train(config: replacement, data: Self.images)
        #expect(off.history.loss.map(\.bitPattern) == old.history.loss.map(\.bitPattern))
        #expect(one.history.loss != old.history.loss)
        var first = config
        first.stopAfterEpochs = 2
        let trainer = Trainer()
        let straight = trainer.trainWithCheckpoints(config: config, data: Self.images, saveCheckpoint: true)
        let part = trainer.trainWithCheckpoints(config: first, data: Self.images, saveCheckpoint: true)
        let resumed = trainer.trainWithCheckpoints(config: config, data: Self.images,
                                                   resume: try TrainingCheckpoint(decoding: try #require(part.checkpoint).encoded()),
                                                   saveCheckpoint: true)
        #expect(resumed.outcome.history == straight.outcome.history)
    }

    @Test func refusesDataItCannotWorkOn() {
        var crop = TrialConfig(hidden: [8], batchSize: 20, length: .epochs(1), seed: 1)
        crop.randomCrop = 2
        #expect(Trainer().train(config: crop, data: blobs()).metrics.reason
                == "training.random_crop: needs rows that are image pixels, but this dataset's are not (PCA components or synthetic data)")
        crop.randomCrop = 8
        #expect(Trainer().train(config: crop, data: Self.images).metrics.reason
                == "training.random_crop: a shift of 8 pixels is not smaller than the 8×8 images")
        var smoothing = RegressionTrainingTests.config()
        smoothing.labelSmoothing = 0.1
        #expect(Trainer().train(config: smoothing, data: RegressionTrainingTests.data()).metrics.reason
                == "training.label_smoothing: needs class labels; this dataset's targets are regression values")
    }
}
