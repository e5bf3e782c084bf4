import Foundation
import Testing

/// `train --save-model`, `predict` and `export`, checked against real runtimes: the ONNX file
/// passes `onnx.checker.check_model` and onnxruntime's probabilities match `hypergrid
/// predict`'s on a whole test split (max |Δ| ≤ 1e-5, the same class on every row, the same
/// accuracy, which is also the trainer's own test accuracy); the safetensors file loads with
/// the `safetensors` package, holds the ONNX initializers' arrays, and a numpy forward pass
/// from it alone agrees too (scripts/check-model-export.py).
@Suite(.serialized)
struct ModelExportEndToEndTests {
    /// The repository this test was compiled from (scripts/ lives there).
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// The venv install-deps.sh fills with onnx, onnxruntime, safetensors and numpy.
    static var python: String {
        (ProcessInfo.processInfo.environment["HYPERGRID_MODEL_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/hypergrid/model-venv").path)
            + "/bin/python"
    }

    /// Runs a Python snippet in the model venv.
    static func python(_ code: String, in dir: URL) throws -> String {
        let (status, output) = try runTool(python, ["-c", code], in: dir, timeout: 300)
        try #require(status == 0, "\(output)")
        return output
    }

    /// The checker's figures for an exported model, after `predict` and both exports.
    static func exportAndCheck(model: URL, input: URL, labels: [String], in dir: URL) throws -> [String: Any] {
        let predictions = dir.appendingPathComponent("predictions.csv")
        let onnx = dir.appendingPathComponent("model.onnx"), safetensors = dir.appendingPathComponent("model.safetensors")
        for arguments in [["predict", "--model", model.path, "--input", input.path, "--output", predictions.path],
                          ["export", model.path, "--format", "onnx", "--output", onnx.path],
                          ["export", model.path, "--format", "safetensors", "--output", safetensors.path]] {
            let (status, output) = try CLIProcess.run(arguments, in: dir, timeout: 300)
            try #require(status == 0, "hypergrid \(arguments.joined(separator: " ")): \(output)")
        }
        #expect(FileManager.default.fileExists(atPath: onnx.path + ".json"), "no sidecar beside the ONNX file")
        let script = Self.repository.appendingPathComponent("scripts/check-model-export.py").path
        let (status, output) = try runTool(python, [script, "--onnx", onnx.path, "--safetensors", safetensors.path,
                                                    "--input", input.path, "--predictions", predictions.path] + labels,
                                           in: dir, timeout: 600)
        let json = output.split(separator: "\n").last.map(String.init) ?? ""
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(output)")
        #expect(status == 0, "\(output)")
        return figures
    }

    /// The trainer's test accuracy from `train --json`.
    static func testAccuracy(_ output: String) throws -> Double {
        let start = try #require(output.firstIndex(of: "{"), "\(output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any])
        return try #require(object["test_accuracy"] as? Double, "\(output)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionMNIST), "needs Debian's dataset-fashion-mnist"))
    func fashionMNISTWithPCAAndBatchNormAgreesWithOnnxruntime() throws {
        let dir = try temporaryDirectory("model-fmnist")
        defer { try? FileManager.default.removeItem(at: dir) }
        try installDeployTestDependencies(in: dir)
        let model = dir.appendingPathComponent("fmnist.hgmodel")
        let (status, output) = try CLIProcess.run(
            ["train", "--dataset", "fashion-mnist", "--train-rows", "6000", "--validation-rows", "1000", "--pca", "0.9",
             "--hidden", "64,32", "--batch-norm", "--optimizer", "adam", "--lr", "0.002", "--he-init",
             "--iterations", "300", "--batch-size", "100", "--no-cache", "--json", "--save-model", model.path],
            in: dir, timeout: 600)
        try #require(status == 0, "\(output)")
        let trainerAccuracy = try Self.testAccuracy(output)
        // The raw test split (all 10,000 rows) as a user would save it with numpy.
        _ = try Self.python("""
            import gzip, numpy as np
            d = '\(Self.fashionMNIST)'
            x = np.frombuffer(gzip.open(d + '/t10k-images-idx3-ubyte.gz').read(), np.uint8, offset=16).reshape(-1, 784)
            y = np.frombuffer(gzip.open(d + '/t10k-labels-idx1-ubyte.gz').read(), np.uint8, offset=8)
            np.save('test_x.npy', x.astype(np.float32)); np.save('test_y.npy', y.astype(np.int64))
            """, in: dir)
        let figures = try Self.exportAndCheck(model: model, input: dir.appendingPathComponent("test_x.npy"),
                                              labels: ["--labels", dir.appendingPathComponent("test_y.npy").path], in: dir)
        #expect(figures["rows"] as? Int == 10_000)
        #expect((figures["max_abs_difference"] as? Double ?? 1) <= 1e-5, "\(figures)")
        #expect(figures["classes_agreeing"] as? Int == 10_000, "\(figures)")
        #expect(figures["accuracy_hypergrid"] as? Double == trainerAccuracy, "\(figures) vs the trainer's \(trainerAccuracy)")
        #expect(figures["accuracy_onnxruntime"] as? Double == trainerAccuracy, "\(figures)")
        #expect(figures["safetensors_arrays"] as? Int == figures["safetensors_arrays_equal_to_onnx"] as? Int, "\(figures)")
        print("Fashion-MNIST export figures: \(figures)")
    }

    @Test func csvWithCategoriesAndMissingCellsAgreesWithOnnxruntime() throws {
        let dir = try temporaryDirectory("model-csv")
        defer { try? FileManager.default.removeItem(at: dir) }
        try installDeployTestDependencies(in: dir)
        // A table with numbers, text categories and missing cells of both, labelled by a rule
        // of them plus noise; the test file is a separate draw of the same rule.
        _ = try Self.python("""
            import numpy as np, csv
            def table(path, n, seed):
                r = np.random.RandomState(seed)
                with open(path, 'w', newline='') as f:
                    w = csv.writer(f)
                    w.writerow(['size', 'weight', 'colour', 'age', 'kind'])
                    for i in range(n):
                        size, weight, age = r.normal(10, 3), r.normal(50, 20), r.randint(0, 80)
                        colour = ['red', 'green', 'blue', 'black'][r.randint(0, 4)]
                        score = size / 3 + weight / 25 + (2 if colour == 'red' else 0) + r.normal(0, 0.7)
                        kind = 'small' if score < 5 else ('medium' if score < 7 else 'large')
                        cells = [f'{size:.3f}', f'{weight:.2f}', colour, str(age)]
                        if r.rand() < 0.05: cells[r.randint(0, 4)] = ''
                        w.writerow(cells + [kind])
            table('train.csv', 3000, 1); table('test.csv', 1000, 2)
            """, in: dir)
        let model = dir.appendingPathComponent("table.hgmodel")
        let (status, output) = try CLIProcess.run(
            ["train", "--format", "csv", "--data", dir.appendingPathComponent("train.csv").path, "--label", "kind",
             "--test-path", dir.appendingPathComponent("test.csv").path,
             "--hidden", "32", "--batch-norm", "--optimizer", "adam", "--lr", "0.01", "--he-init",
             "--iterations", "400", "--batch-size", "64", "--no-cache", "--json", "--save-model", model.path],
            in: dir, timeout: 600)
        try #require(status == 0, "\(output)")
        let trainerAccuracy = try Self.testAccuracy(output)
        let figures = try Self.exportAndCheck(model: model, input: dir.appendingPathComponent("test.csv"),
                                              labels: ["--label-column", "kind"], in: dir)
        #expect(figures["rows"] as? Int == 1_000)
        #expect((figures["max_abs_difference"] as? Double ?? 1) <= 1e-5, "\(figures)")
        #expect(figures["classes_agreeing"] as? Int == 1_000, "\(figures)")
        #expect(figures["accuracy_hypergrid"] as? Double == trainerAccuracy, "\(figures) vs the trainer's \(trainerAccuracy)")
        #expect(figures["accuracy_onnxruntime"] as? Double == trainerAccuracy, "\(figures)")
        print("CSV export figures: \(figures)")
    }
}
