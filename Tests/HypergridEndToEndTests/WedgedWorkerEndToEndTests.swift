import Foundation
import HypergridCoordinator
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// A worker frozen with SIGSTOP mid-trial: no heartbeats, no progress.
    @Suite struct WedgedWorker {
        @Test func stoppedWorkersTrialIsRequeuedAndItsLateResultIgnoredOnceResumed() throws {
            let scenario = try FaultScenario("wedged-worker")
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [3000])
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 4),
                                                 log: "coordinator")
            // Its own cache, so that the results it keeps unacknowledged are its alone.
            let frozenCache = scenario.dir.appendingPathComponent("frozen-cache").path
            let frozen = try scenario.start(scenario.workerArguments("frozen", heartbeat: 0.25, liveness: 4, cache: frozenCache),
                                            log: "frozen")
            #expect(waitUntil(timeout: 60) { frozen.log.contains("assigned trial") }, "\(frozen.log)")
            frozen.signal(SIGSTOP)
            let wedged = try #require(assignments(in: coordinator.log).last { $0.worker == "frozen" })
            // Detected by its silence (1 s here) and requeued.
            #expect(waitUntil(timeout: 30) { coordinator.log.contains("trial \(wedged.trial) requeued (worker frozen went silent") },
                    "\(coordinator.log)")
            let helper = try scenario.start(scenario.workerArguments("helper", heartbeat: 0.25, liveness: 4), log: "helper")
            #expect(waitUntil(timeout: 120) { journalled(wedged.trial, in: scenario.runDir) != nil }, "\(coordinator.log)")
            // The helper leaves politely, so the rest of the grid waits for the frozen worker
            // and the run cannot end before its late result arrives.
            helper.signal(SIGTERM)
            #expect(helper.wait(timeout: 30) == 0, "\(helper.log)")
            frozen.signal(SIGCONT)

            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            #expect(frozen.wait(timeout: 30) == 0, "\(frozen.log)")
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 8)
            let result = try #require(journalled(wedged.trial, in: scenario.runDir))
            #expect(result.worker == "helper" && result.attempt == wedged.attempt + 1, "\(result.worker) \(result.attempt)")
            // The resumed worker finished the trial it was frozen in and sent the result:
            // acknowledged (it keeps nothing) and ignored (the journal has one record).
            #expect(trainingsStarted(wedged.trial, workerLog: frozen.log) == 1)
            #expect(frozen.log.contains("finished trial \(wedged.trial)"), "\(frozen.log)")
            #expect(coordinator.log.contains("duplicate result for \(wedged.trial) from frozen acknowledged and ignored"),
                    "\(coordinator.log)")
            #expect(unacknowledgedResults(cache: frozenCache).isEmpty)
            // After SIGCONT it came back and trained the rest of the grid.
            #expect(replay.results.values.contains { $0.worker == "frozen" })
            print("wedged worker: SIGSTOP detected, trial \(wedged.trial) requeued and recorded once; late result ignored once; 8/8 trials once")
        }
    }
}
