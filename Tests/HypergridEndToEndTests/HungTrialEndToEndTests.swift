import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// A worker whose training thread hangs mid-trial while its socket thread heartbeats on
    /// (issue 17 §1): liveness by heartbeats alone never noticed it.
    @Suite struct HungTrial {
        @Test func aWedgedTrainingThreadIsNoticedByItsStalledProgressAndTheTrialDoneOnceElsewhere() throws {
            let scenario = try FaultScenario("hung-trial")
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [3000])
            let start = Date()
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 4),
                                                 log: "coordinator")
            // The test-only fault hook: its training thread blocks for good at iteration 1,500
            // of its second trial (its first gives the coordinator its measured speed).
            let wedgedCache = scenario.dir.appendingPathComponent("wedged-cache").path
            let wedged = try scenario.start(scenario.workerArguments("wedged", heartbeat: 0.25, liveness: 4, cache: wedgedCache)
                                            + ["--test-wedge-training-after", "4500"], log: "wedged")
            let healthy = try scenario.start(scenario.workerArguments("healthy", heartbeat: 0.25, liveness: 4), log: "healthy")

            #expect(waitUntil(timeout: 120) { wedged.log.contains("test fault hook: the training thread wedges now") }, "\(wedged.log)")
            let wedgedAt = Date()
            // Its heartbeats go on (no silence), but its progress stops: taken back, and the
            // worker, whose thread cannot let go, exits with status 7 to be restarted.
            #expect(waitUntil(timeout: 60) { coordinator.log.contains("worker wedged's training made no progress for") }, "\(coordinator.log)")
            let detected = Date().timeIntervalSince(wedgedAt)
            #expect(wedged.wait(timeout: 30) == 7, "\(wedged.log)")
            #expect(wedged.log.contains("it is wedged; exiting so that this worker can be restarted"), "\(wedged.log)")

            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            #expect(healthy.wait(timeout: 30) == 0, "\(healthy.log)")
            let wall = Date().timeIntervalSince(start)
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 8)
            #expect(!coordinator.log.contains("worker wedged went silent"), "liveness by heartbeats did not see it: \(coordinator.log)")
            let line = try #require(coordinator.log.split(separator: "\n").first { $0.contains("worker wedged's training made no progress for") })
            let stalled = try #require(line.range(of: "warning: trial ").flatMap { r in line[r.upperBound...].split(separator: ":").first }.map(String.init))
            let result = try #require(replay.results.first { $0.key.short == stalled }?.value)
            #expect(result.worker == "healthy" && result.attempt == 2, "\(result.worker) attempt \(result.attempt)")
            #expect(trainingsStarted(stalled, workerLog: wedged.log) == 1)
            let said = line.range(of: "trial ").map { String(line[$0.lowerBound...]) } ?? String(line)
            print("hung trial: the training thread wedged mid-trial while heartbeats continued; taken back \(String(format: "%.1f", detected)) s later (\(said)); the worker exited 7; trial \(stalled) recorded once, from healthy, attempt 2; 8/8 once in \(String(format: "%.1f", wall)) s")
        }
    }
}
