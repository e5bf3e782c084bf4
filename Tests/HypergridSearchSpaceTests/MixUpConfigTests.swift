import Foundation
import Testing
@testable import HypergridSearchSpace

/// `training.mixup` (MixUp's α): grid key, `--set` value, range, the regression rule, the
/// canonical "off", and the protocol version that carries it.
@Suite struct MixUpConfigTests {
    @Test func parsesAndSweeps() throws {
        let spec = try GridFileParser.parse(yaml: """
            dataset: {name: fashion-mnist}
            model: {hidden: [1024]}
            training: {optimizer: adam, epochs: 20, mixup: [0, 0.2, 1]}
            """, file: "g.yaml")
        #expect(spec.axes.pointCount == 3 && spec.axes.sweptParameters == ["mixup"])
        let points = (0..<3).map { spec.axes.point($0, seed: 0) }
        #expect(points.map(\.mixup) == [nil, 0.2, 1])
        #expect(points[1].fieldSummary.hasSuffix("mixup 0.2"), "\(points[1].fieldSummary)")
        #expect(!points[0].fieldSummary.contains("mixup"))
    }

    /// α = 0 plans the trial of a grid without the key; α > 0 is a trial of its own.
    @Test func zeroIsTheOldTrial() throws {
        let plain = try GridFileParser.parse(yaml: "dataset: {name: cifar10}\nmodel: {hidden: [64]}\n", file: "a.yaml")
        let off = try GridFileParser.parse(yaml: "dataset: {name: cifar10}\nmodel: {hidden: [64]}\ntraining: {mixup: 0}\n",
                                           file: "b.yaml")
        let shape = DatasetShape(features: 3072, classes: 10, trainRows: 1000)
        #expect(plain.plan(datasetFingerprint: "f", shape: shape).map(\.id) == off.plan(datasetFingerprint: "f", shape: shape).map(\.id))
        var on = TrialConfig()
        on.mixup = 0.2
        #expect(TrialID(config: on, datasetFingerprint: "f") != TrialID(config: TrialConfig(), datasetFingerprint: "f"))
        #expect(TrialField.extensionField(gridKey: "training.mixup")?.added.wireVersion == 6)
    }

    @Test func rangeAndRules() throws {
        let field = try #require(TrialField.extensionField(gridKey: "training.mixup")).added
        #expect(try field.parse("0.4").get() == .double(0.4))
        #expect(throws: FieldParseError("must be a Beta(α, α) parameter in (0, 4.0], or 0 for off, got 5.0")) {
            try field.parse("5").get()
        }
        #expect(throws: FieldParseError("must be a Beta(α, α) parameter in (0, 4.0], or 0 for off, got -0.2")) {
            try field.parse("-0.2").get()
        }
        #expect {
            _ = try GridFileParser.parse(yaml: "dataset: {name: cifar10}\ntraining:\n  mixup: [0.2, 8]\n", file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description
                == "bad.yaml:3: training.mixup: must be a Beta(α, α) parameter in (0, 4.0], or 0 for off, got 8.0"
        }
        var config = TrialConfig()
        config.mixup = 0.2
        #expect(config.validationProblems(for: DatasetSpec(kind: .synthetic, task: .regression)).map(\.field) == [.mixUp])
        #expect(config.validationProblems(for: DatasetSpec(kind: .synthetic)).isEmpty)
        #expect(config.validationProblems(for: DatasetSpec(kind: .cifar10, pcaVariance: 0.9)).isEmpty)
    }

    /// The Fashion-MNIST searches of docs/higher-accuracy.md that came after MixUp parse, with
    /// the points and rungs the page describes.
    @Test func theExampleGridsParse() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        func grid(_ name: String) throws -> GridSpec {
            try GridFileParser.parse(contentsOf: examples.appendingPathComponent(name).path)
        }
        let mixup = try grid("fashion-mnist-mixup.yaml")
        #expect(mixup.axes.pointCount == 6 && mixup.axes.sweptParameters == ["dropout", "mixup"])
        let crops = try grid("fashion-mnist-crops-long.yaml")
        #expect(crops.axes.pointCount == 4 && crops.axes.sweptParameters == ["dropout", "mixup"])
        let first = crops.axes.point(0, seed: 0)
        #expect(first.randomCrop == 1 && first.mixup == nil && first.dropout == 0.1)
        let dropout = try grid("fashion-mnist-dropout.yaml")
        #expect(dropout.axes.pointCount == 6 && dropout.axes.sweptParameters == ["dropout", "weight_decay"])
    }
}
