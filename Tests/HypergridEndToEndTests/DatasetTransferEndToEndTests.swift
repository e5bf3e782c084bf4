import Foundation
import HypergridResults
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A worker on a "fresh machine" (no dataset files, empty cache) fetches the
/// preprocessed arrays from the coordinator in checksummed chunks and trains.
@Suite(.serialized) struct DatasetTransferEndToEndTests {
    /// Writes a small learnable MNIST-format dataset (plain IDX files): the class
    /// shows as a bright horizontal bar at a class-dependent row.
    func writeIDXDataset(to dir: URL, train: Int, test: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func images(_ n: Int, seed: UInt32) -> (Data, Data) {
            var img = Data([0, 0, 8, 3]); var lab = Data([0, 0, 8, 1])
            for v in [UInt32(n), 28, 28] { withUnsafeBytes(of: v.bigEndian) { img.append(contentsOf: $0) } }
            withUnsafeBytes(of: UInt32(n).bigEndian) { lab.append(contentsOf: $0) }
            var s = seed
            for i in 0..<n {
                let label = UInt8(i % 10)
                lab.append(label)
                for r in 0..<28 {
                    for _ in 0..<28 {
                        s = s &* 1_664_525 &+ 1_013_904_223
                        let noise = UInt8(s >> 26)   // 0...63
                        img.append(r / 2 == Int(label) ? 200 &+ noise / 2 : noise)
                    }
                }
            }
            return (img, lab)
        }
        let (trI, trL) = images(train, seed: 1)
        let (teI, teL) = images(test, seed: 2)
        try trI.write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try trL.write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        try teI.write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try teL.write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }

    @Test func workerWithoutTheDataFetchesItFromTheCoordinator() throws {
        let dir = try temporaryDirectory("transfer")
        let data = dir.appendingPathComponent("mnist-like")
        try writeIDXDataset(to: data, train: 3000, test: 500)
        let grid = dir.appendingPathComponent("grid.yaml")
        try """
        dataset: {name: mnist, path: \(data.path), validation_rows: 500, pca: 0.95}
        model: {hidden: [32], init: he}
        training: {optimizer: sgd, learning_rate: [0.1, 0.01], iterations: 200, batch_size: 100}
        """.write(to: grid, atomically: true, encoding: .utf8)
        let runDir = dir.appendingPathComponent("run")
        let endpoint = "ipc://\(dir.path)/coordinator.sock"
        let coordinator = try CLIProcess(["coordinator", "--grid", grid.path, "--run-dir", runDir.path, "--bind", endpoint,
                                          "--cache-dir", dir.appendingPathComponent("coordinator-cache").path],
                                         log: dir.appendingPathComponent("coordinator.log"))
        defer { coordinator.signal(SIGKILL) }
        #expect(waitUntil(timeout: 60) { coordinator.log.contains("listening on") }, "\(coordinator.log)")
        // The worker's machine has neither the files nor a cache of them.
        try FileManager.default.moveItem(at: data, to: dir.appendingPathComponent("elsewhere"))
        let worker = try CLIProcess(["worker", "--connect", endpoint, "--name", "fresh",
                                     "--cache-dir", dir.appendingPathComponent("worker-cache").path],
                                    log: dir.appendingPathComponent("worker.log"))
        defer { worker.signal(SIGKILL) }
        let status = coordinator.wait(timeout: 120)
        #expect(status == 0, "\(coordinator.log)\n\(worker.log)")
        #expect(coordinator.log.contains("sending dataset"), "\(coordinator.log)")
        let replay = try Journal.read(runDir.path)
        #expect(replay.results.count == 2)
        #expect(replay.results.values.allSatisfy { $0.metrics.status == .done && ($0.metrics.validationAccuracy ?? 0) > 0.5 },
                "\(replay.results.values.map(\.metrics))")
        // The fetched copy is cached on the worker's disk for the next run.
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("worker-cache").path)
        #expect(cached.contains { $0.hasSuffix(".hgdata") }, "\(cached)")
    }
    /// The same for a user's CSV file (scikit-learn's digits) named by a path relative to the
    /// coordinator's directory: the worker runs in another directory, where neither that path
    /// nor the file exists, and trains on the arrays the coordinator prepared.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: sklearnData + "/digits.csv"), "run scripts/sklearn-datasets first"))
    func workerElsewhereGetsAPreparedCSVDataset() throws {
        let dir = try temporaryDirectory("transfer-csv")
        let home = dir.appendingPathComponent("coordinator-home")
        let elsewhere = dir.appendingPathComponent("worker-home")
        for d in [home.appendingPathComponent("data"), elsewhere] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: sklearnData + "/digits.csv", toPath: home.appendingPathComponent("data/digits.csv").path)
        try """
        dataset: {format: csv, path: data/digits.csv, label: digit, validation: 0.2, split_seed: 1}
        model: {hidden: [32], init: he}
        training: {optimizer: adam, learning_rate: [0.01, 0.003], epochs: 5, batch_size: 64}
        """.write(to: home.appendingPathComponent("grid.yaml"), atomically: true, encoding: .utf8)
        let runDir = dir.appendingPathComponent("run")
        let endpoint = "ipc://\(dir.path)/coordinator.sock"
        let coordinator = try CLIProcess(["coordinator", "--grid", "grid.yaml", "--run-dir", runDir.path, "--bind", endpoint,
                                          "--cache-dir", dir.appendingPathComponent("coordinator-cache").path],
                                         log: dir.appendingPathComponent("coordinator.log"), currentDirectory: home)
        defer { coordinator.signal(SIGKILL) }
        #expect(waitUntil(timeout: 60) { coordinator.log.contains("listening on") }, "\(coordinator.log)")
        #expect(coordinator.log.contains("dataset digits.csv: 1,797 rows, 64 columns (0 categorical) → 64 features, 10 classes of 'digit'"),
                "\(coordinator.log)")
        // The coordinator resolved the path to an absolute one; the worker's machine does not have it.
        try FileManager.default.moveItem(at: home.appendingPathComponent("data"), to: dir.appendingPathComponent("moved"))
        let worker = try CLIProcess(["worker", "--connect", endpoint, "--name", "elsewhere",
                                     "--cache-dir", elsewhere.appendingPathComponent("cache").path],
                                    log: dir.appendingPathComponent("worker.log"), currentDirectory: elsewhere)
        defer { worker.signal(SIGKILL) }
        let status = coordinator.wait(timeout: 180)
        #expect(status == 0, "\(coordinator.log)\n\(worker.log)")
        #expect(coordinator.log.contains("sending dataset"), "\(coordinator.log)")
        let replay = try Journal.read(runDir.path)
        #expect(replay.results.count == 2)
        // Digits with a 32-unit net: well above 90 % on the 359 validation rows.
        #expect(replay.results.values.allSatisfy { $0.metrics.status == .done && ($0.metrics.validationAccuracy ?? 0) > 0.9 },
                "\(replay.results.values.map(\.metrics))")
        let cached = try FileManager.default.contentsOfDirectory(atPath: elsewhere.appendingPathComponent("cache").path)
        #expect(cached.contains { $0.hasSuffix(".hgdata") }, "\(cached)")
    }
}

/// `scripts/sklearn-datasets`' output directory (`$HYPERGRID_SKLEARN_DATA`).
let sklearnData: String = {
    let env = ProcessInfo.processInfo.environment["HYPERGRID_SKLEARN_DATA"] ?? ""
    return env.isEmpty ? NSHomeDirectory() + "/.cache/hypergrid/sklearn-data" : env
}()

