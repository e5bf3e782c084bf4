import Foundation
import HypergridData
import HypergridKernel
import HypergridPreprocessing
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Regression through the trainer: the synthetic regression data (standardised features,
/// raw targets in the hundreds), the squared-error network on standardised targets, and
/// RMSE, MAE and R² reported in the targets' own units.
@Suite struct RegressionTrainingTests {
    static func data(targets: Int = 2) -> DatasetSplits {
        let request = DatasetRequest(kind: .synthetic, trainRows: 1_500, validationRows: 400, testRows: 400,
                                     syntheticFeatures: 12, syntheticSeed: 5, task: .regression,
                                     syntheticTargets: targets)
        // Through the real preparation (standardised features), without the cache.
        return try! prepareDataset(request, useCache: false).splits
    }

    static func config(threads: Int = 1) -> TrialConfig {
        TrialConfig(hidden: [64, 32], optimizer: .adam, learningRate: 3e-3, learningRateDecay: 1,
                    reg: 1e-5, batchSize: 50, length: .epochs(12), initScheme: .he, seed: 9)
    }

    func comparable(_ m: TrialMetrics) -> TrialMetrics {
        var m = m
        (m.wallSeconds, m.samplesPerSecond, m.resumedAt) = (0, 0, nil)
        return m
    }

    @Test func learnsSyntheticRegressionAndReportsOriginalUnits() throws {
        let data = Self.data()
        let outcome = Trainer().train(config: Self.config(), data: data, evaluateTest: true)
        let m = outcome.metrics
        #expect(m.status == .done, "\(m.reason ?? "")")
        let validation = try #require(m.validationRegression)
        let test = try #require(m.testRegression)
        #expect(m.trainRegression != nil)
        #expect(m.validationAccuracy == nil && m.trainAccuracy == nil && m.testAccuracy == nil)
        // A linear model explains about half of the variance; the noise caps R² near 0.97.
        #expect(validation.r2 > 0.85 && validation.r2 < 0.99, "R² \(validation.r2)")
        #expect(test.r2 > 0.85)
        // In the targets' units (the deviation of each column is about 25): not standardised.
        #expect(validation.rmse > 3 && validation.rmse < 15, "RMSE \(validation.rmse)")
        #expect(validation.mae > 0 && validation.mae <= validation.rmse)
        let curve = try #require(outcome.history.validationRMSE)
        #expect(curve.count == 12 && curve.last == validation.rmse && curve.first! > curve.last!)
        #expect(outcome.history.trainAccuracy.isEmpty && outcome.history.validationAccuracy.isEmpty)
        #expect(outcome.history.loss.first! > outcome.history.loss.last!)
    }

    /// An untrained network (all weights 0) predicts 0, the training mean once mapped back:
    /// the metrics must be those of the mean predictor, computed here from the raw targets
    /// (standardised targets mapped back through the schema) in Double.
    @Test func metricsOfTheMeanPredictorMatchAnIndependentComputation() throws {
        let data = Self.data(targets: 2)
        guard case .regression(_, let mean, let deviation)? = data.schema?.target else {
            Issue.record("no regression schema"); return
        }
        let raw = { (split: LabeledMatrix) in split.targets!.enumerated().map { Double($1) * deviation[$0 % 2] + mean[$0 % 2] } }
        let (train, t) = (raw(data.train), raw(data.validation))
        let net = MLP(shape: MLPShape(inputWidth: data.featureCount, hidden: [8], classCount: 2, batchNorm: false,
                                      loss: .meanSquaredError), maxBatch: 64)
        let m = try #require(Trainer().regressionMetrics(net, data.validation, scaling: TargetScaling(data)))
        let rows = data.validation.rows
        var sse = [0.0, 0.0], sst = [0.0, 0.0], abs = 0.0
        for j in 0..<2 {
            let trainMean = stride(from: j, to: train.count, by: 2).reduce(0.0) { $0 + train[$1] } / Double(data.train.rows)
            #expect(Swift.abs(trainMean - mean[j]) < 1e-6 * Swift.abs(mean[j]))   // the schema's mean is the training mean
            let validationMean = stride(from: j, to: t.count, by: 2).reduce(0.0) { $0 + t[$1] } / Double(rows)
            for i in 0..<rows {
                let y = t[i * 2 + j]
                sse[j] += (trainMean - y) * (trainMean - y)
                sst[j] += (y - validationMean) * (y - validationMean)
                abs += Swift.abs(trainMean - y)
            }
        }
        let rmse = ((sse[0] + sse[1]) / Double(2 * rows)).squareRoot()
        let r2 = ((1 - sse[0] / sst[0]) + (1 - sse[1] / sst[1])) / 2
        #expect(Swift.abs(m.rmse - rmse) < 1e-6 * rmse)
        #expect(Swift.abs(m.mae - abs / Double(2 * rows)) < 1e-6 * m.mae)
        #expect(Swift.abs(m.r2 - r2) < 1e-6 && m.r2 <= 0 && m.r2 > -0.1)
        // Targets in the hundreds: the figures are not in standardised units.
        #expect(mean.allSatisfy { $0 > 50 } && m.rmse > 10)
    }

    /// The same bits on any thread count, and a run stopped after 3 epochs and continued from
    /// its checkpoint (through the blob) ends exactly as one that never stopped.
    @Test func bitIdenticalAcrossThreadsAndCheckpoints() throws {
        let data = Self.data(targets: 1)
        let config = Self.config()
        let one = Trainer(threads: 1).trainWithCheckpoints(config: config, data: data, saveCheckpoint: true)
        let two = Trainer(threads: 2).trainWithCheckpoints(config: config, data: data, saveCheckpoint: true)
        #expect(comparable(one.outcome.metrics) == comparable(two.outcome.metrics))
        #expect(one.outcome.history == two.outcome.history)
        #expect(one.checkpoint == two.checkpoint)

        var first = config
        first.stopAfterEpochs = 3
        let part = Trainer().trainWithCheckpoints(config: first, data: data, saveCheckpoint: true)
        let blob = try #require(part.checkpoint).encoded()
        let decoded = try TrainingCheckpoint(decoding: blob)
        #expect(decoded.history.validationRMSE?.count == 3)
        let resumed = Trainer().trainWithCheckpoints(config: config, data: data, resume: decoded, saveCheckpoint: true)
        #expect(resumed.resumeProblem == nil)
        #expect(comparable(resumed.outcome.metrics) == comparable(one.outcome.metrics))
        #expect(resumed.outcome.history == one.outcome.history)
    }

    /// The refit on train+validation keeps the targets of both splits and measures the test split.
    @Test func refitOnTrainAndValidationMeasuresTheTestSplit() throws {
        let data = Self.data(targets: 1)
        var config = Self.config()
        config.refit = .trainValidation
        let m = Trainer().train(config: config, data: data, evaluateTest: true).metrics
        #expect(m.status == .done)
        #expect(m.validationRegression == nil)
        #expect(try #require(m.testRegression).r2 > 0.85)
    }

    /// Targets that are not finite are refused in one sentence naming the split and row.
    @Test func nonFiniteTargetsAreRefused() {
        var data = Self.data(targets: 1)
        var targets = data.validation.targets!
        targets[6] = .nan
        data.validation.targets = targets
        let m = Trainer().train(config: Self.config(), data: data).metrics
        #expect(m.status == .failed)
        #expect(m.reason == "validation row 7 has a non-finite target (nan)")
    }
}
