import HypergridData
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Checks shared by the feature tests: a feature switched off trains the old bits, and a trial
/// stopped halfway and continued from its checkpoint is the trial never stopped.
enum FeatureChecks {
    /// `plain` and `off` (the same with a feature's off values set) train the same bits.
    static func expectSameTraining(_ plain: TrialConfig, _ off: TrialConfig, data: DatasetSplits) {
        let a = Trainer().train(config: plain, data: data), b = Trainer().train(config: off, data: data)
        #expect(a.history.loss.map(\.bitPattern) == b.history.loss.map(\.bitPattern))
        #expect(a.metrics.validationAccuracy == b.metrics.validationAccuracy)
    }

    /// Stopping `full` after 2 epochs and continuing from the checkpoint gives its history,
    /// validation accuracy and final checkpoint bit for bit.
    static func expectContinuationIsBitIdentical(_ full: TrialConfig, data: DatasetSplits) throws {
        var first = full
        first.stopAfterEpochs = 2
        let trainer = Trainer()
        let straight = trainer.trainWithCheckpoints(config: full, data: data, saveCheckpoint: true)
        let part = trainer.trainWithCheckpoints(config: first, data: data, saveCheckpoint: true)
        let blob = try #require(part.checkpoint).encoded()
        let resumed = trainer.trainWithCheckpoints(config: full, data: data,
                                                   resume: try TrainingCheckpoint(decoding: blob), saveCheckpoint: true)
        #expect(resumed.resumeProblem == nil && resumed.outcome.metrics.status == .done)
        #expect(resumed.outcome.history == straight.outcome.history)
        #expect(resumed.outcome.metrics.validationAccuracy == straight.outcome.metrics.validationAccuracy)
        #expect(try #require(resumed.checkpoint) == (try #require(straight.checkpoint)))
    }
}
