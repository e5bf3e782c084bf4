import Foundation
import Testing

private let fashionMNIST = "/usr/share/datasets/fashion-mnist"

/// The training features of issue 19 through the real `hypergrid` binary: `--set` values reach
/// the trained config (and its trial id), a grid file with PCA refuses a crop in one sentence.
@Suite struct TrainingFeaturesEndToEndTests {
    @Test func cropWithPCAInAGridIsRefusedInOneSentence() throws {
        let dir = try temporaryDirectory("crop-pca")
        let grid = dir.appendingPathComponent("grid.yaml")
        try "dataset: {name: cifar10, pca: 0.9}\ntraining: {random_crop: [0, 4]}\n"
            .write(to: grid, atomically: true, encoding: .utf8)
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--run-dir", dir.appendingPathComponent("run").path], in: dir)
        #expect(status != 0 && status != nil)
        #expect(log.contains("grid.yaml:2: training.random_crop: needs image pixels, which PCA replaces with principal components"), "\(log)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz"),
                   "needs apt-get install dataset-fashion-mnist"))
    func trainWithTheFeaturesOnFashionMNIST() throws {
        let dir = try temporaryDirectory("training-features")
        let common = ["train", "--dataset", "fashion-mnist", "--train-rows", "3000", "--validation-rows", "1000",
                      "--test-rows", "1000", "--hidden", "128", "--batch-norm", "--optimizer", "adam", "--lr", "3e-3",
                      "--epochs", "3", "--he-init", "--json", "--cache-dir", dir.appendingPathComponent("cache").path]
        func train(_ extra: [String]) throws -> [String: Any] {
            let (status, log) = try CLIProcess.run(common + extra, in: dir, timeout: 300)
            #expect(status == 0, "\(log)")
            let json = try #require(log.split(separator: "\n").last.map { Data($0.utf8) })
            return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        }
        let on = try train(["--set", "training.random_crop=2", "--set", "training.label_smoothing=0.1",
                            "--set", "training.weight_decay=0.05", "--set", "training.mixup=0.2", "--threads", "2"])
        let config = try #require(on["config"] as? [String: Any])
        #expect(config["random_crop"] as? Int == 2 && config["label_smoothing"] as? Double == 0.1)
        #expect(config["weight_decay"] as? Double == 0.05 && config["mixup"] as? Double == 0.2)
        // A small net on 3,000 shifted images: well above chance (10 %) after 3 epochs.
        #expect((on["val_accuracy"] as? Double ?? 0) > 0.65, "\(on)")
        // "Off" spelled out is the plain trial: the same id and the same accuracy.
        let plain = try train([])
        let off = try train(["--set", "training.random_crop=0", "--set", "training.weight_decay=0",
                             "--set", "training.mixup=0"])
        #expect(plain["trial_id"] as? String == off["trial_id"] as? String)
        #expect(plain["val_accuracy"] as? Double == off["val_accuracy"] as? Double)
        #expect(plain["trial_id"] as? String != on["trial_id"] as? String)
        #expect((plain["config"] as? [String: Any])?["random_crop"] == nil)
    }
}
