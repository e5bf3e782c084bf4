import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real processes over real sockets: `hypergrid run`, `coordinator` and `worker`
/// started as a user would, with workers and the coordinator killed mid-run.
@Suite(.serialized) struct GridRunEndToEndTests {
    /// A small synthetic grid: 6 points whose trials take a fraction of a second.
    func writeGrid(in dir: URL, iterations: Int = 400, learningRates: String = "[0.5, 0.1, 0.02]") throws -> URL {
        let url = dir.appendingPathComponent("grid.yaml")
        try """
        dataset: {name: synthetic, train_rows: 4000, validation_rows: 500, test_rows: 500}
        model: {hidden: [32, 64], init: he}
        training: {optimizer: sgd, learning_rate: \(learningRates), iterations: \(iterations), batch_size: 100, loss_every: 10}
        search: {kind: grid}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Every planned point has exactly one result line in the journal and one leaderboard row.
    func expectEveryTrialOnce(_ runDir: URL, planned: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> JournalReplay {
        try expectEveryTrialExactlyOnce(runDir, planned: planned, sourceLocation: sourceLocation)
    }

    @Test func runTrainsEveryPointOnceWithTwoWorkerProcesses() throws {
        let dir = try temporaryDirectory("run")
        let grid = try writeGrid(in: dir)
        let runDir = dir.appendingPathComponent("run")
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--workers", "2", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path], in: dir)
        #expect(status == 0, "\(log)")
        let replay = try expectEveryTrialOnce(runDir, planned: 6)
        let workers = Set(replay.results.values.map(\.worker))
        #expect(workers.count == 2, "both local workers trained: \(workers)")
        #expect(log.contains("run complete"), "\(log)")
    }

    @Test func killedWorkersTrialIsDoneElsewhereOnce() throws {
        let dir = try temporaryDirectory("kill-worker")
        let grid = try writeGrid(in: dir, iterations: 4000)
        let runDir = dir.appendingPathComponent("run")
        let cache = dir.appendingPathComponent("cache").path
        let endpoint = "ipc://\(dir.path)/coordinator.sock"
        let coordinator = try CLIProcess(["coordinator", "--grid", grid.path, "--run-dir", runDir.path, "--bind", endpoint,
                                          "--heartbeat", "0.2", "--liveness", "3", "--cache-dir", cache],
                                         log: dir.appendingPathComponent("coordinator.log"))
        defer { coordinator.signal(SIGKILL) }
        let victim = try CLIProcess(["worker", "--connect", endpoint, "--name", "victim", "--heartbeat", "0.2", "--cache-dir", cache],
                                    log: dir.appendingPathComponent("victim.log"))
        defer { victim.signal(SIGKILL) }
        // Kill the victim while it trains its first trial.
        #expect(waitUntil(timeout: 60) { coordinator.log.contains("→ victim") }, "\(coordinator.log)")
        victim.signal(SIGKILL)
        _ = victim.wait(timeout: 10)
        let survivor = try CLIProcess(["worker", "--connect", endpoint, "--name", "survivor", "--heartbeat", "0.2", "--cache-dir", cache],
                                      log: dir.appendingPathComponent("survivor.log"))
        defer { survivor.signal(SIGKILL) }
        let status = coordinator.wait(timeout: 180)
        #expect(status == 0, "\(coordinator.log)")
        let replay = try expectEveryTrialOnce(runDir, planned: 6)
        #expect(replay.results.values.allSatisfy { $0.worker == "survivor" })
        #expect(replay.results.values.contains { $0.attempt == 2 }, "the victim's trial was retried")
    }

    @Test func restartedCoordinatorResumesWithoutRerunning() throws {
        let dir = try temporaryDirectory("kill-coordinator")
        let grid = try writeGrid(in: dir, iterations: 1500)
        let runDir = dir.appendingPathComponent("run")
        let cache = dir.appendingPathComponent("cache").path
        let endpoint = "ipc://\(dir.path)/coordinator.sock"
        let arguments = ["coordinator", "--grid", grid.path, "--run-dir", runDir.path, "--bind", endpoint,
                         "--heartbeat", "0.2", "--liveness", "5", "--cache-dir", cache]
        let first = try CLIProcess(arguments, log: dir.appendingPathComponent("coordinator-1.log"))
        defer { first.signal(SIGKILL) }
        let worker = try CLIProcess(["worker", "--connect", endpoint, "--name", "w1", "--heartbeat", "0.2", "--cache-dir", cache],
                                    log: dir.appendingPathComponent("worker.log"))
        defer { worker.signal(SIGKILL) }
        // Let two results land, then kill the coordinator without warning.
        #expect(waitUntil(timeout: 90) { ((try? Journal.read(runDir.path))?.results.count ?? 0) >= 2 })
        first.signal(SIGKILL)
        _ = first.wait(timeout: 10)
        let before = try Journal.read(runDir.path).results
        #expect(before.count >= 2 && before.count < 6)
        let second = try CLIProcess(arguments, log: dir.appendingPathComponent("coordinator-2.log"))
        defer { second.signal(SIGKILL) }
        let status = second.wait(timeout: 180)
        #expect(status == 0, "\(second.log)")
        let replay = try expectEveryTrialOnce(runDir, planned: 6)
        // The finished trials kept their first (and only) result.
        for (id, result) in before { #expect(replay.results[id] == result) }
        #expect(second.log.contains("\(before.count) already in the journal"), "\(second.log)")
    }
}
