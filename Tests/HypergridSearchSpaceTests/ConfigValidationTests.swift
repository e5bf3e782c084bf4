import Testing
@testable import HypergridSearchSpace

/// The one set of range rules for trials and datasets (grid files, `train`, the trainer).
@Suite struct ConfigValidationTests {
    @Test func defaultsAreValid() {
        #expect(TrialConfig().validationProblems().isEmpty)
        #expect(DatasetSpec(kind: .cifar10, pcaVariance: 0.9).validationProblems().isEmpty)
    }

    @Test(arguments: [
        (TrialConfig(momentum: 1.5), "training.momentum: must be in [0, 1), got 1.5"),
        (TrialConfig(learningRateDecay: 3), "training.decay: must be in (0, 1], got 3.0"),
        (TrialConfig(learningRate: -1), "training.learning_rate: must be positive, got -1.0"),
        (TrialConfig(learningRate: .nan), "training.learning_rate: must be a finite number, got nan"),
        (TrialConfig(learningRate: .infinity), "training.learning_rate: must be a finite number, got inf"),
        (TrialConfig(reg: -0.5), "training.reg: must be zero or positive, got -0.5"),
        (TrialConfig(hidden: [256, 0]), "model.hidden: must be positive, got 0"),
        (TrialConfig(hidden: []), "model.hidden: must give at least one layer width"),
        (TrialConfig(initScheme: .gaussian(std: 0)), "model.init: must be a positive standard deviation, got 0.0"),
        (TrialConfig(batchSize: 0), "training.batch_size: must be positive, got 0"),
        (TrialConfig(length: .iterations(0)), "training.iterations: must be positive, got 0"),
        (TrialConfig(length: .epochs(-2)), "training.epochs: must be positive, got -2"),
        (TrialConfig(lossEvery: 0), "training.loss_every: must be positive, got 0"),
    ])
    func trialProblem(config: TrialConfig, expected: String) {
        #expect(config.validationProblems().map(\.description) == [expected])
    }

    @Test func everyProblemIsListed() {
        let config = TrialConfig(momentum: 1.5, learningRateDecay: 3)
        #expect(config.validationProblems().map(\.field) == [.momentum, .decay])
    }

    @Test func testRowsZeroIsNoTestSplit() {
        #expect(DatasetSpec(kind: .synthetic, testRows: 0).validationProblems().isEmpty)
        #expect(DatasetSpec(kind: .synthetic, testRows: -1).validationProblems().map(\.description)
                == ["dataset.test_rows: must be zero or positive, got -1"])
    }

    @Test(arguments: [
        (DatasetSpec(kind: .mnist, trainRows: 0), "dataset.train_rows: must be positive, got 0"),
        (DatasetSpec(kind: .mnist, validationRows: 0), "dataset.validation_rows: must be positive, got 0"),
        (DatasetSpec(kind: .mnist, pcaVariance: 0), "dataset.pca: must be a fraction of variance in (0, 1], got 0.0"),
        (DatasetSpec(kind: .mnist, trainRows: 1, pcaVariance: 0.9), "dataset.train_rows: must be at least 2 when PCA is on, got 1"),
    ])
    func datasetProblem(spec: DatasetSpec, expected: String) {
        #expect(spec.validationProblems().map(\.description) == [expected])
    }
}
