import Foundation
import Testing
@testable import HypergridSearchSpace

/// The training features of issue 19 (random crop, label smoothing, decoupled weight decay):
/// their grid keys, `--set` values, validation, and their canonical form (trial ids of grids
/// and configs without them do not change).
@Suite struct TrainingFeatureConfigTests {
    @Test func parsesAndSweepsTheFeatures() throws {
        let yaml = """
        dataset: {name: fashion-mnist}
        model: {hidden: [1024], batch_norm: true}
        training:
          optimizer: adam
          epochs: 20
          random_crop: [0, 2]
          label_smoothing: 0.1
          weight_decay: [0, 0.05]
        """
        let spec = try GridFileParser.parse(yaml: yaml, file: "g.yaml")
        #expect(spec.axes.pointCount == 4)
        #expect(spec.axes.sweptParameters == ["random_crop", "weight_decay"])
        let points = (0..<4).map { spec.axes.point($0, seed: 0) }
        // Off (0) is stored as nil.
        #expect(points.map(\.randomCrop) == [nil, 2, nil, 2])
        #expect(points.map(\.weightDecay) == [nil, nil, 0.05, 0.05])
        #expect(points.allSatisfy { $0.labelSmoothing == 0.1 })
        #expect(points[3].fieldSummary.hasSuffix("crop 2 smooth 0.1 wd 0.05"), "\(points[3].fieldSummary)")
        #expect(!points[0].fieldSummary.contains("crop"))
    }

    /// A grid that spells the features "off" plans the same trials, with the same ids, as
    /// one that does not mention them; the canonical JSON of a plain config is unchanged.
    @Test func offIsTheOldTrial() throws {
        let plain = try GridFileParser.parse(yaml: "dataset: {name: cifar10}\nmodel: {hidden: [64, 128]}\n", file: "a.yaml")
        let off = try GridFileParser.parse(yaml: """
            dataset: {name: cifar10}
            model: {hidden: [64, 128]}
            training: {random_crop: 0, label_smoothing: 0, weight_decay: 0}
            """, file: "b.yaml")
        let shape = DatasetShape(features: 3072, classes: 10, trainRows: 1000)
        let a = plain.plan(datasetFingerprint: "f", shape: shape), b = off.plan(datasetFingerprint: "f", shape: shape)
        #expect(a.map(\.id) == b.map(\.id) && a.count == 2)
        let json = String(decoding: TrialConfig().canonicalJSON, as: UTF8.self)
        #expect(json == #"{"batchNorm":false,"batchSize":200,"hidden":[256],"initScheme":"std=0.0001","learningRate":0.001,"learningRateDecay":0.95,"length":{"iterations":{"_0":1000}},"lossEvery":1,"momentum":0.9,"optimizer":"sgd","reg":0,"seed":0}"#)
        var zeros = TrialConfig()
        (zeros.randomCrop, zeros.labelSmoothing, zeros.weightDecay, zeros.shuffle) = (0, 0, 0, false)
        #expect(TrialID(config: zeros.canonicalized, datasetFingerprint: "f") == TrialID(config: TrialConfig(), datasetFingerprint: "f"))
        var crop = TrialConfig(), smoothing = TrialConfig(), decay = TrialConfig(), shuffle = TrialConfig()
        (crop.randomCrop, smoothing.labelSmoothing, decay.weightDecay, shuffle.shuffle) = (4, 0.1, 0.05, true)
        let ids = Set([TrialConfig(), crop, smoothing, decay, shuffle].map { TrialID(config: $0, datasetFingerprint: "f") })
        #expect(ids.count == 5)
    }

    /// `--set` parses through the table: values, ranges, and 0 as off.
    @Test func setValuesThroughTheTable() throws {
        let crop = try #require(TrialField.extensionField(gridKey: "training.random_crop")).added
        #expect(try crop.parse("4").get() == .int(4))
        #expect(throws: FieldParseError("must be a shift of 0 to 255 pixels, got -1")) { try crop.parse("-1").get() }
        #expect(throws: FieldParseError("must be a whole number, got '2.5'")) { try crop.parse("2.5").get() }
        let smoothing = try #require(TrialField.extensionField(gridKey: "training.label_smoothing")).added
        #expect(throws: FieldParseError("must be in [0, 1), got 1.0")) { try smoothing.parse("1").get() }
        let decay = try #require(TrialField.extensionField(gridKey: "training.weight_decay")).added
        #expect(throws: FieldParseError("must be zero or positive, got -0.1")) { try decay.parse("-0.1").get() }
        var c = TrialConfig()
        decay.assign(.double(0), to: &c)
        #expect(c.weightDecay == nil && decay.value(of: c) == .null)
        decay.assign(.double(0.01), to: &c)
        #expect(c.weightDecay == 0.01)
    }

    @Test(arguments: [
        ("dataset: {name: cifar10}\ntraining: {random_crop: 300}\n", "bad.yaml:2: training.random_crop: must be a shift of 0 to 255 pixels, got 300"),
        ("dataset: {name: cifar10}\ntraining:\n  label_smoothing: [0.1, 1.5]\n", "bad.yaml:3: training.label_smoothing: must be in [0, 1), got 1.5"),
        ("dataset: {name: cifar10}\ntraining: {weight_decay: -1}\n", "bad.yaml:2: training.weight_decay: must be zero or positive, got -1.0"),
        ("dataset: {name: cifar10, pca: 0.9}\ntraining:\n  random_crop: [0, 4]\n",
         "bad.yaml:3: training.random_crop: needs image pixels, which PCA replaces with principal components; turn PCA off (standardised pixels work)"),
        ("dataset: {name: synthetic}\ntraining: {random_crop: 2}\n",
         "bad.yaml:2: training.random_crop: needs image data; synthetic rows are not images"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    /// The example grid of docs/higher-accuracy.md parses, with the features it sweeps.
    @Test func exampleGridParses() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        let spec = try GridFileParser.parse(contentsOf: examples.appendingPathComponent("fashion-mnist-accuracy.yaml").path)
        #expect(spec.axes.pointCount == 16)
        #expect(spec.axes.sweptParameters == ["hidden", "random_crop", "label_smoothing", "weight_decay"])
        let longer = try GridFileParser.parse(contentsOf: examples.appendingPathComponent("fashion-mnist-longer.yaml").path)
        #expect(longer.axes.pointCount == 8)
        #expect(longer.axes.sweptParameters == ["hidden", "dropout", "shuffle"])
        #expect(longer.axes.point(0, seed: 0).labelSmoothing == 0.1 && longer.axes.point(0, seed: 0).weightDecay == 0.05)
    }

    /// A crop of 0 is fine with PCA; the config-level rules say the same, and smoothing needs classes.
    @Test func dataRules() throws {
        let spec = try GridFileParser.parse(yaml: "dataset: {name: cifar10, pca: 0.9}\ntraining: {random_crop: 0}\n", file: "g.yaml")
        #expect(spec.axes.point(0, seed: 0).randomCrop == nil)
        var config = TrialConfig()
        config.randomCrop = 4
        #expect(config.validationProblems(for: DatasetSpec(kind: .cifar10)).isEmpty)
        #expect(config.validationProblems(for: DatasetSpec(kind: .cifar10, pcaVariance: 0.9)).map(\.field) == [.randomCrop])
        var smoothing = TrialConfig()
        smoothing.labelSmoothing = 0.1
        #expect(smoothing.validationProblems(for: DatasetSpec(kind: .synthetic, task: .regression)).map(\.field) == [.labelSmoothing])
        #expect(smoothing.validationProblems(for: DatasetSpec(kind: .synthetic)).isEmpty)
    }
}
