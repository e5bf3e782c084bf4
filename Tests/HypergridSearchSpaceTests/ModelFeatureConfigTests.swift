import Foundation
import Testing
@testable import HypergridSearchSpace

/// The model features' grid keys, their validation, their canonical form (trial ids of
/// grids without them do not change) and the learning-rate schedule.
@Suite struct ModelFeatureConfigTests {
    @Test func parsesAndSweepsTheFeatures() throws {
        let yaml = """
        dataset: {name: cifar10, standardize: true}
        model: {hidden: [[2048, 1024]], batch_norm: true, dropout: [0, 0.3]}
        training:
          optimizer: adam
          epochs: 20
          horizontal_flip: [false, true]
          schedule: cosine
          warmup_epochs: 1
        """
        let spec = try GridFileParser.parse(yaml: yaml, file: "g.yaml")
        #expect(spec.axes.dropout == [0, 0.3] && spec.axes.horizontalFlip == [false, true])
        #expect(spec.axes.schedule == [.cosine] && spec.axes.warmupEpochs == [1])
        #expect(spec.axes.pointCount == 4)
        #expect(spec.axes.sweptParameters == ["dropout", "horizontal_flip"])
        let points = (0..<4).map { spec.axes.point($0, seed: 0) }
        // Off is stored as nil; the features vary slower than every older axis, dropout fastest.
        #expect(points.map(\.dropout) == [nil, 0.3, nil, 0.3])
        #expect(points.map(\.horizontalFlip) == [nil, nil, true, true])
        #expect(points.allSatisfy { $0.schedule == .cosine && $0.warmupEpochs == 1 })
        #expect(points[3].featureSummary == "dropout=0.3 flip cosine warmup=1.0")
        #expect(points[0].featureSummary == "cosine warmup=1.0")
    }

    /// A grid that spells every feature "off" plans the same trials, with the same ids, as
    /// one that does not mention them — and as before the features existed (the canonical
    /// JSON of a plain config has no feature keys).
    @Test func offIsTheOldTrial() throws {
        let plain = try GridFileParser.parse(yaml: "dataset: {name: synthetic}\nmodel: {hidden: [64, 128]}\n", file: "a.yaml")
        let off = try GridFileParser.parse(yaml: """
            dataset: {name: synthetic}
            model: {hidden: [64, 128], dropout: 0}
            training: {horizontal_flip: false, schedule: step, warmup_epochs: 0}
            """, file: "b.yaml")
        let shape = DatasetShape(features: 64, classes: 10, trainRows: 1000)
        let a = plain.plan(datasetFingerprint: "f", shape: shape), b = off.plan(datasetFingerprint: "f", shape: shape)
        #expect(a.map(\.id) == b.map(\.id) && a.count == 2)
        let json = String(decoding: TrialConfig().canonicalJSON, as: UTF8.self)
        #expect(json == #"{"batchNorm":false,"batchSize":200,"hidden":[256],"initScheme":"std=0.0001","learningRate":0.001,"learningRateDecay":0.95,"length":{"iterations":{"_0":1000}},"lossEvery":1,"momentum":0.9,"optimizer":"sgd","reg":0,"seed":0}"#)
        var on = TrialConfig()
        on.dropout = 0.5
        #expect(TrialID(config: on, datasetFingerprint: "f") != TrialID(config: TrialConfig(), datasetFingerprint: "f"))
    }

    /// The grids of docs/higher-accuracy.md parse, with the features they sweep.
    @Test func exampleGridsParse() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        let cifar = try GridFileParser.parse(contentsOf: examples.appendingPathComponent("cifar10-mlp-features.yaml").path)
        #expect(cifar.dataset.pcaVariance == nil && cifar.axes.horizontalFlip == [true] && cifar.axes.schedule == [.cosine])
        let fashion = try GridFileParser.parse(contentsOf: examples.appendingPathComponent("fashion-mnist-mlp-features.yaml").path)
        #expect(fashion.axes.sweptParameters == ["dropout", "horizontal_flip"])
    }

    @Test(arguments: [
        ("dataset: {name: cifar10}\nmodel: {dropout: 1}\n", "bad.yaml:2: model.dropout: must be a drop probability in [0, 1), got 1.0"),
        ("dataset: {name: cifar10}\nmodel:\n  dropout: [0.2, -0.1]\n", "bad.yaml:3: model.dropout: must be a drop probability in [0, 1), got -0.1"),
        ("dataset: {name: cifar10}\ntraining: {schedule: linear}\n", "bad.yaml:2: training.schedule: unknown schedule 'linear'; one of step, cosine"),
        ("dataset: {name: cifar10}\ntraining: {warmup_epochs: -1}\n", "bad.yaml:2: training.warmup_epochs: must be zero or positive, got -1.0"),
        ("dataset: {name: cifar10}\ntraining: {horizontal_flip: often}\n", "bad.yaml:2: training.horizontal_flip: must be true or false, got 'often'"),
        ("dataset: {name: cifar10, pca: 0.9}\ntraining:\n  horizontal_flip: [false, true]\n",
         "bad.yaml:3: training.horizontal_flip: needs image pixels, which PCA replaces with principal components; turn PCA off (standardised pixels work)"),
        ("dataset: {name: synthetic}\ntraining: {horizontal_flip: true}\n",
         "bad.yaml:2: training.horizontal_flip: needs image data; synthetic rows are not images"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    /// A flip that is never on is fine with PCA; the config-level rule says the same.
    @Test func flipOffWorksWithPCA() throws {
        let spec = try GridFileParser.parse(yaml: "dataset: {name: cifar10, pca: 0.9}\ntraining: {horizontal_flip: false}\n", file: "g.yaml")
        #expect(spec.axes.horizontalFlip == [false])
        var config = TrialConfig()
        config.horizontalFlip = true
        #expect(config.validationProblems(for: DatasetSpec(kind: .cifar10)).isEmpty)
        #expect(config.validationProblems(for: DatasetSpec(kind: .cifar10, pcaVariance: 0.9)).map(\.field) == [.horizontalFlip])
    }

    /// Warm-up ramps linearly to the rate; cosine falls from it to 0 over the rest; without
    /// either, the step schedule's rate comes back unchanged (the same bits as before).
    @Test func learningRateSchedule() {
        var c = TrialConfig(learningRate: 0.1)
        #expect(c.scheduledLearningRate(iteration: 7, totalIterations: 100, perEpoch: 10, stepDecayedRate: 0.0857) == 0.0857)
        c.warmupEpochs = 0.5   // 5 iterations
        #expect(c.warmupIterations(perEpoch: 10) == 5)
        let ramp = (0..<6).map { c.scheduledLearningRate(iteration: $0, totalIterations: 100, perEpoch: 10, stepDecayedRate: 0.1) }
        #expect(ramp == [0.02, 0.04, 0.06000000000000001, 0.08, 0.1, 0.1])
        c.schedule = .cosine
        func rate(_ i: Int) -> Double { c.scheduledLearningRate(iteration: i, totalIterations: 105, perEpoch: 10, stepDecayedRate: 0.5) }
        #expect(rate(5) == 0.1)                              // the first after warm-up: the full rate
        #expect(abs(rate(55) - 0.05) < 1e-12)                // half way: half
        #expect(rate(104) > 0 && rate(104) < 1e-4)           // the last: almost 0
        #expect((5..<104).allSatisfy { rate($0 + 1) < rate($0) })
        #expect(rate(2) == 0.1 * 3 / 5)                      // warm-up ramps to lr, not the step rate
    }
}
