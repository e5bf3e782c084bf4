import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// The model features through the trainer: they learn, they are reproducible at any thread
/// count, off means the old bits, and a flip without image rows fails with one sentence.
@Suite struct ModelFeatureTrainingTests {
    static let layout = ImageLayout(height: 8, width: 8, channels: 3)
    static let raw = blobs(classes: 4, features: layout.featureCount, train: 1_200, validation: 400, test: 0, seed: 3)

    /// `raw` as 8×8×3 images, made mirror-symmetric (every pixel the mean of itself and its
    /// mirror) so that a flipped row is still a row of its class.
    static let images: DatasetSplits = {
        func symmetric(_ m: LabeledMatrix) -> LabeledMatrix {
            var values = [Float](repeating: 0, count: m.rows * m.columns)
            for i in 0..<m.rows {
                for y in 0..<8 { for x in 0..<8 { for c in 0..<3 {
                    // The mean of a pixel and its mirror: symmetric centres, and symmetric noise.
                    let a = m.row(i)[(y * 8 + x) * 3 + c], b = m.row(i)[(y * 8 + 7 - x) * 3 + c]
                    values[i * m.columns + (y * 8 + x) * 3 + c] = (a + b) / 2
                } } }
            }
            return LabeledMatrix(rows: m.rows, columns: m.columns, values: values, labels: m.labels)
        }
        return DatasetSplits(name: "images", classCount: 4, train: symmetric(raw.train),
                             validation: symmetric(raw.validation), test: symmetric(raw.test), imageLayout: layout)
    }()

    /// `raw` as images, not symmetric: flipping them changes what the net sees.
    static let asymmetricImages: DatasetSplits = {
        DatasetSplits(name: "images", classCount: 4, train: raw.train, validation: raw.validation,
                      test: raw.test, imageLayout: layout)
    }()

    static func featureConfig(seed: UInt64 = 5) -> TrialConfig {
        var c = TrialConfig(hidden: [64, 32], batchNorm: true, optimizer: .adam, learningRate: 3e-3, reg: 1e-4,
                            batchSize: 40, length: .epochs(4), initScheme: .he, seed: seed)
        c.dropout = 0.2
        c.horizontalFlip = true
        c.schedule = .cosine
        c.warmupEpochs = 1
        return c
    }

    /// A refit on train+validation keeps the image layout: a search with flips and crops
    /// ended with its refit failed ("needs rows that are image pixels") until 2026-12-07.
    @Test func aRefitOnTrainAndValidationStillFlipsAndCrops() {
        var config = Self.featureConfig()
        config.randomCrop = 1
        config.refit = .trainValidation
        let outcome = Trainer().train(config: config, data: Self.asymmetricImages, evaluateTest: true)
        #expect(outcome.metrics.status == .done, "\(outcome.metrics.reason ?? "")")
        #expect(outcome.metrics.iterations == 4 * (1_600 / 40))
    }

    @Test func learnsWithEveryFeatureOn() {
        var rates: [Double] = []
        let outcome = Trainer().train(config: Self.featureConfig(), data: Self.images) { rates.append($0.learningRate); return true }
        #expect(outcome.metrics.status == .done)
        #expect(outcome.metrics.validationAccuracy! > 0.85, "\(outcome.metrics.validationAccuracy!)")
        // Warm-up ends at the full rate after epoch 1, then cosine falls towards 0.
        #expect(rates.count == 4 && rates[0] == 3e-3 && rates[1] < rates[0] && rates[3] < rates[2] && rates[3] < 3e-4)
    }

    /// Same config: the same bits, at 1 and 2 threads; the features really change training.
    @Test func reproducibleAndEffective() {
        let config = Self.featureConfig()
        let one = Trainer(threads: 1).train(config: config, data: Self.images)
        let again = Trainer(threads: 1).train(config: config, data: Self.images)
        let two = Trainer(threads: 2).train(config: config, data: Self.images)
        #expect(one.history.loss.map(\.bitPattern) == again.history.loss.map(\.bitPattern))
        #expect(one.history == two.history)
        #expect(one.metrics.validationAccuracy == two.metrics.validationAccuracy)
        for change in [\TrialConfig.dropout, \TrialConfig.warmupEpochs] {
            var other = config
            other[keyPath: change] = nil
            #expect(Trainer().train(config: other, data: Self.images).history.loss != one.history.loss)
        }
        // On symmetric images a flip changes nothing (the same bits); on others it does.
        var noFlip = config
        noFlip.horizontalFlip = nil
        #expect(Trainer().train(config: noFlip, data: Self.images).history.loss == one.history.loss)
        let flipped = Trainer().train(config: config, data: Self.asymmetricImages)
        #expect(Trainer().train(config: noFlip, data: Self.asymmetricImages).history.loss != flipped.history.loss)
    }

    /// Spelling the features "off" trains the same bits as a config without them.
    @Test func offIsTheOldTraining() {
        let plain = TrialConfig(hidden: [32], batchNorm: true, optimizer: .adam, learningRate: 3e-3,
                                batchSize: 40, length: .epochs(2), initScheme: .he, seed: 2)
        var off = plain
        (off.dropout, off.horizontalFlip, off.schedule, off.warmupEpochs) = (0, false, .step, 0)
        FeatureChecks.expectSameTraining(plain, off, data: Self.images)
    }

    /// Halving continues trials from checkpoints: with every feature on (masks and flips keyed
    /// by the iteration, the cosine over the whole length) stopping after 2 of 4 epochs and
    /// continuing is the same computation as never stopping.
    @Test func continuingFromACheckpointIsBitIdentical() throws {
        try FeatureChecks.expectContinuationIsBitIdentical(Self.featureConfig(), data: Self.asymmetricImages)
    }

    @Test func flipNeedsImageRows() {
        var config = TrialConfig(hidden: [8], batchSize: 20, length: .epochs(1), seed: 1)
        config.horizontalFlip = true
        let outcome = Trainer().train(config: config, data: blobs())
        #expect(outcome.metrics.status == .failed)
        #expect(outcome.metrics.reason == "training.horizontal_flip: needs rows that are image pixels, but this dataset's are not (PCA components or synthetic data)")
        var badDropout = TrialConfig(hidden: [8], batchSize: 20, length: .epochs(1), seed: 1)
        badDropout.dropout = 1
        #expect(Trainer().train(config: badDropout, data: blobs()).metrics.reason
                == "model.dropout: must be a drop probability in [0, 1), got 1.0")
    }
}
