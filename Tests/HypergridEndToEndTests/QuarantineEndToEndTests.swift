import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// A worker on which every trial fails, beside a healthy one (issue 17 §2).
    @Suite struct Quarantine {
        @Test func aWorkerWhoseTrialsKeepFailingIsQuarantinedToldAndListed() throws {
            let scenario = try FaultScenario("quarantine")
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [32, 48, 64], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [1500])
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 8),
                                                 log: "coordinator")
            let healthy = try scenario.start(scenario.workerArguments("healthy", heartbeat: 0.25, liveness: 8), log: "healthy")
            // Joins once the healthy worker has a result, so that its failures are its own.
            #expect(waitUntil(timeout: 120) { journalledResults(scenario.runDir) >= 1 }, "\(coordinator.log)")
            let broken = try scenario.start(scenario.workerArguments("broken", heartbeat: 0.25, liveness: 8,
                                                                     cache: scenario.dir.appendingPathComponent("broken-cache").path)
                                            + ["--test-fail-trials"], log: "broken")
            // Told, it exits with its own status and one sentence.
            #expect(broken.wait(timeout: 60) == 6, "\(broken.log)")
            #expect(broken.log.contains("The coordinator at \(scenario.endpoint) quarantined this worker for the rest of its run: its last 3 trials failed (last: test fault hook: this worker fails every trial)."), "\(broken.log)")
            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            #expect(healthy.wait(timeout: 30) == 0, "\(healthy.log)")

            let quarantineLine = "worker broken quarantined: its last 3 trials failed (last: test fault hook: this worker fails every trial); it gets no more work in this run"
            #expect(occurrences(of: quarantineLine, in: coordinator.log) == 1, "\(coordinator.log)")
            #expect(coordinator.log.contains("quarantined worker broken: its last 3 trials failed"), "the end-of-run summary lists it: \(coordinator.log)")
            let replay = try Journal.read(scenario.runDir.path)
            let byBroken = replay.results.values.filter { $0.worker == "broken" }
            #expect(byBroken.count == 3 && byBroken.allSatisfy { $0.metrics.status == .failed }, "only its 3 failures: \(byBroken.count)")
            #expect(replay.results.count == 12, "every trial recorded once")
            let (status, table) = try CLIProcess.run(["leaderboard", scenario.runDir.path], in: scenario.dir)
            #expect(status == 0, "\(table)")
            #expect(table.contains("quarantined worker broken: its last 3 trials failed"), "\(table)")
            print("quarantine: the broken worker failed 3 trials in a row, was quarantined in one line, exited 6; the healthy worker did the other 9 trials; listed in the summary and in hypergrid leaderboard")
        }
    }
}
