import Foundation
import Testing

private let fashionMNIST = "/usr/share/datasets/fashion-mnist"

/// The model features through the real `hypergrid` binary: flags and grid keys, and the one
/// sentence a flip with PCA gets.
@Suite struct ModelFeaturesEndToEndTests {
    @Test func flipWithPCAIsRefusedInOneSentence() throws {
        let dir = try temporaryDirectory("flip-pca")
        let (status, log) = try CLIProcess.run(["train", "--dataset", "cifar10", "--pca", "0.9", "--horizontal-flip"], in: dir)
        #expect(status != 0 && status != nil)
        #expect(log.contains("--horizontal-flip needs image pixels, which PCA replaces with principal components; turn PCA off (standardised pixels work)."), "\(log)")
        #expect(!log.contains("Fatal") && !log.contains("Stack"), "\(log)")

        let grid = dir.appendingPathComponent("grid.yaml")
        try "dataset: {name: cifar10, pca: 0.9}\nmodel: {dropout: 0.3}\ntraining: {horizontal_flip: true}\n"
            .write(to: grid, atomically: true, encoding: .utf8)
        let (runStatus, runLog) = try CLIProcess.run(["run", "--grid", grid.path, "--run-dir", dir.appendingPathComponent("run").path], in: dir)
        #expect(runStatus != 0 && runStatus != nil)
        #expect(runLog.contains("grid.yaml:3: training.horizontal_flip: needs image pixels"), "\(runLog)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz"),
                   "needs apt-get install dataset-fashion-mnist"))
    func trainWithEveryFeatureOnFashionMNIST() throws {
        let dir = try temporaryDirectory("features-train")
        let (status, log) = try CLIProcess.run([
            "train", "--dataset", "fashion-mnist", "--train-rows", "3000", "--validation-rows", "1000",
            "--test-rows", "1000", "--hidden", "128", "--batch-norm", "--optimizer", "adam", "--lr", "3e-3",
            "--epochs", "3", "--dropout", "0.2", "--horizontal-flip", "--schedule", "cosine",
            "--warmup-epochs", "0.5", "--he-init", "--json", "--cache-dir", dir.appendingPathComponent("cache").path,
        ], in: dir, timeout: 300)
        #expect(status == 0, "\(log)")
        let json = try #require(log.split(separator: "\n").last.map { Data($0.utf8) })
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let config = try #require(object["config"] as? [String: Any])
        #expect(config["dropout"] as? Double == 0.2 && config["horizontal_flip"] as? Bool == true)
        #expect(config["schedule"] as? String == "cosine" && config["warmup_epochs"] as? Double == 0.5)
        // A small net on 3,000 images: well above chance (10 %) after 3 epochs.
        #expect((object["val_accuracy"] as? Double ?? 0) > 0.7, "\(log)")
    }
}
