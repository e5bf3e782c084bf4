import Foundation
import HypergridResults
import Testing

private let fashionMNIST = "/usr/share/datasets/fashion-mnist"
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The README's main job, for real: the example Fashion-MNIST grid with two local
/// worker processes (Debian's dataset-fashion-mnist, which scripts/test installs).
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz"),
                             "needs apt-get install dataset-fashion-mnist"))
struct RealDataGridEndToEndTests {
    @Test func exampleFashionMNISTGridWithTwoWorkers() throws {
        let dir = try temporaryDirectory("fashion")
        let runDir = dir.appendingPathComponent("run")
        let grid = repositoryRoot.appendingPathComponent("examples/fashion-mnist-small.yaml").path
        let (status, log) = try CLIProcess.run(["run", "--grid", grid, "--workers", "2", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path],
                                               in: dir, timeout: 600)
        #expect(status == 0, "\(log)")
        let rows = try Leaderboard.load(runDir.path)
        #expect(rows.count == 8)
        #expect(rows.allSatisfy { $0.status == .done })
        // Two-layer nets reach ~87-88 % validation accuracy on Fashion-MNIST in 3 epochs.
        #expect((rows.first?.validationAccuracy ?? 0) >= 0.85, "\(log)")
        let replay = try Journal.read(runDir.path)
        #expect(Set(replay.results.values.map(\.worker)).count == 2)
    }
}
