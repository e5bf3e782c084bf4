import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// MixUp through the trainer: it learns, is reproducible at any thread count, changes
/// training when on and nothing when "off" (α = 0), continues bit-identically from a
/// checkpoint, works on rows that are not images, and refuses regression targets.
@Suite struct MixUpTrainingTests {
    static func config(seed: UInt64 = 5) -> TrialConfig {
        var c = TrainingFeatureTrainingTests.featureConfig(seed: seed)
        c.mixup = 0.4
        return c
    }

    @Test func learnsAndIsReproducibleAtAnyThreadCount() {
        let config = Self.config()
        let data = TrainingFeatureTrainingTests.images
        let one = Trainer(threads: 1).train(config: config, data: data)
        let three = Trainer(threads: 3).train(config: config, data: data)
        #expect(one.metrics.status == .done)
        #expect(one.metrics.validationAccuracy! > 0.8, "\(one.metrics.validationAccuracy!)")
        #expect(one.history.loss.map(\.bitPattern) == three.history.loss.map(\.bitPattern))
        #expect(one.history == three.history && one.metrics.validationAccuracy == three.metrics.validationAccuracy)
        var unmixed = config
        unmixed.mixup = nil
        #expect(Trainer().train(config: unmixed, data: data).history.loss != one.history.loss)
        var otherAlpha = config
        otherAlpha.mixup = 1
        #expect(Trainer().train(config: otherAlpha, data: data).history.loss != one.history.loss)
    }

    /// α = 0 trains the same bits as a config without the field.
    @Test func zeroIsTheOldTraining() {
        let plain = TrainingFeatureTrainingTests.featureConfig()
        var off = plain
        off.mixup = 0
        FeatureChecks.expectSameTraining(plain, off, data: TrainingFeatureTrainingTests.images)
    }

    /// λ is keyed by the iteration: stopping after 2 of 4 epochs and continuing is the same
    /// computation as never stopping.
    @Test func continuingFromACheckpointIsBitIdentical() throws {
        try FeatureChecks.expectContinuationIsBitIdentical(Self.config(), data: TrainingFeatureTrainingTests.images)
    }

    /// Mixing needs no image layout: table rows mix as well.
    @Test func mixesRowsThatAreNotImages() {
        var c = TrialConfig(hidden: [16], optimizer: .adam, learningRate: 3e-3, batchSize: 20, length: .epochs(3),
                            initScheme: .he, seed: 1)
        c.mixup = 0.2
        let result = Trainer().train(config: c, data: blobs())
        #expect(result.metrics.status == .done, "\(result.metrics.reason ?? "")")
        #expect(result.metrics.validationAccuracy! > 0.8, "\(result.metrics.validationAccuracy!)")
    }

    @Test func refusesRegressionTargets() {
        var c = RegressionTrainingTests.config()
        c.mixup = 0.2
        #expect(Trainer().train(config: c, data: RegressionTrainingTests.data()).metrics.reason
                == "training.mixup: needs class labels; this dataset's targets are regression values")
    }
}
