import Foundation
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// A 10 s network partition between a worker and the coordinator, made by taking one
    /// end of a veth pair between two network namespaces down and up again, mid-trial.
    @Suite(.enabled(if: NamespacePair.isAvailable())) struct NetworkPartition {
        static let partitionSeconds = 10.0

        /// The partition outlasts the coordinator's liveness limit (2 s): the trial is
        /// requeued and done by another worker, and the cut-off worker's result, delivered
        /// once the link is back, is acknowledged and ignored.
        @Test func partitionLongerThanLivenessRequeuesTheTrialAndIgnoresTheLateResult() throws {
            let scenario = try FaultScenario("partition-requeue")
            let hosts = try NamespacePair()
            defer { hosts.remove() }
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [3000, 3001])
            let port = "tcp://\(hosts.coordinatorAddress):5555"
            let coordinator = scenario.remember(try hosts.start(
                scenario.coordinatorArguments(grid: grid, heartbeat: 0.5, liveness: 4, bind: "tcp://0.0.0.0:5555", extra: ["--insecure"]),
                in: hosts.coordinatorNamespace, log: scenario.logURL("coordinator")))
            #expect(waitUntil(timeout: 60) { coordinator.log.contains("listening on") }, "\(coordinator.log)")
            // The far worker has its own cache, so its unacknowledged results are its alone.
            let farCache = scenario.dir.appendingPathComponent("far-cache").path
            let far = scenario.remember(try hosts.start(
                scenario.workerArguments("far", heartbeat: 0.5, liveness: 4, cache: farCache, connect: port),
                in: hosts.workerNamespace, log: scenario.logURL("far")))
            #expect(waitUntil(timeout: 60) { far.log.contains("assigned trial") }, "\(far.log)\n\(coordinator.log)")
            try hosts.setWorkerLink(up: false)
            let cutAt = Date()
            let cut = try #require(assignments(in: coordinator.log).last { $0.worker == "far" })

            // A worker beside the coordinator takes the requeued trial. It starts only once the
            // far worker is presumed dead: the requeued trial, the costliest, is then the first
            // it is given, and the rest of the grid is still pending. (Started earlier, with
            // trials of 0.1 s it finished the whole grid before the link came back, and the far
            // worker's late result had no run left to be ignored by.)
            #expect(waitUntil(timeout: 60) { coordinator.log.contains("worker far silent for") }, "\(coordinator.log)")
            let near = scenario.remember(try hosts.start(
                scenario.workerArguments("near", heartbeat: 0.5, liveness: 4, connect: "tcp://127.0.0.1:5555"),
                in: hosts.coordinatorNamespace, log: scenario.logURL("near")))
            #expect(waitUntil(timeout: 120) { journalled(cut.trial, in: scenario.runDir) != nil }, "\(coordinator.log)")
            // Then it leaves politely, so that the rest of the grid waits for the far worker
            // and the run cannot end before its late result comes back.
            near.signal(SIGTERM)
            #expect(near.wait(timeout: 30) == 0, "\(near.log)")
            let elapsed = Date().timeIntervalSince(cutAt)
            if elapsed < Self.partitionSeconds { usleep(useconds_t((Self.partitionSeconds - elapsed) * 1e6)) }
            try hosts.setWorkerLink(up: true)
            let partition = Date().timeIntervalSince(cutAt)

            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            #expect(far.wait(timeout: 30) == 0, "\(far.log)")
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 16)
            let result = try #require(journalled(cut.trial, in: scenario.runDir))
            #expect(coordinator.log.contains("worker far silent for"), "\(coordinator.log)")
            // Nothing crosses while the link is down, and it comes back only after the near
            // worker's copy is journalled: the far worker's result can only be the late one.
            #expect(result.worker == "near" && result.attempt == cut.attempt + 1, "\(result.worker) \(result.attempt)")
            #expect(coordinator.log.contains("duplicate result for \(cut.trial) from far acknowledged and ignored"), "\(coordinator.log)")
            #expect(trainingsStarted(cut.trial, workerLog: far.log) == 1, "\(far.log)")
            #expect(unacknowledgedResults(cache: farCache).isEmpty, "the far worker's result was acknowledged")
            // The far worker came back and worked after the partition.
            #expect(replay.results.values.contains { $0.worker == "far" && $0.trial.short != cut.trial })
            print("partition (requeue): \(String(format: "%.1f", partition)) s cut, trial \(cut.trial) requeued, recorded once from near, far's late result ignored; 16/16 trials once, 0 duplicates")
        }

        /// The partition is shorter than both sides' liveness limits (20 s): nobody gives
        /// up, and the trial's result crosses once the link is back, recorded exactly once.
        /// (TCP retransmits with a timeout doubling from 0.2 s: its sixth retry, 12.6 s after
        /// the first lost segment, is the first to find the link up again.)
        @Test func partitionShorterThanLivenessDeliversTheResultOnceAfterTheLinkReturns() throws {
            let scenario = try FaultScenario("partition-deliver")
            let hosts = try NamespacePair()
            defer { hosts.remove() }
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.05, 0.02], iterations: [3000])
            let port = "tcp://\(hosts.coordinatorAddress):5555"
            let coordinator = scenario.remember(try hosts.start(
                scenario.coordinatorArguments(grid: grid, heartbeat: 0.5, liveness: 40, bind: "tcp://0.0.0.0:5555", extra: ["--insecure"]),
                in: hosts.coordinatorNamespace, log: scenario.logURL("coordinator")))
            #expect(waitUntil(timeout: 60) { coordinator.log.contains("listening on") }, "\(coordinator.log)")
            let farCache = scenario.dir.appendingPathComponent("far-cache").path
            let far = scenario.remember(try hosts.start(
                scenario.workerArguments("far", heartbeat: 0.5, liveness: 40, cache: farCache, connect: port),
                in: hosts.workerNamespace, log: scenario.logURL("far")))
            #expect(waitUntil(timeout: 60) { far.log.contains("assigned trial") }, "\(far.log)\n\(coordinator.log)")
            try hosts.setWorkerLink(up: false)
            let cutAt = Date()
            let cut = try #require(assignments(in: coordinator.log).last { $0.worker == "far" })
            // The trial finishes during the partition (it takes 0.3-1 s); its result cannot cross.
            usleep(useconds_t(Self.partitionSeconds * 1e6))
            #expect(journalled(cut.trial, in: scenario.runDir) == nil, "nothing crossed the partition")
            #expect(unacknowledgedResults(cache: farCache).contains { $0.hasPrefix(cut.trial) }, "finished and kept: \(far.log)")
            try hosts.setWorkerLink(up: true)
            let partition = Date().timeIntervalSince(cutAt)

            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            #expect(far.wait(timeout: 30) == 0, "\(far.log)")
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 6)
            let result = try #require(journalled(cut.trial, in: scenario.runDir))
            #expect(result.worker == "far" && result.attempt == 1)
            #expect(!coordinator.log.contains("silent"), "nobody was presumed dead: \(coordinator.log)")
            #expect(replay.results.values.allSatisfy { $0.attempt == 1 })
            #expect(trainingsStarted(cut.trial, workerLog: far.log) == 1)
            #expect(unacknowledgedResults(cache: farCache).isEmpty)
            print("partition (deliver): \(String(format: "%.1f", partition)) s cut, trial \(cut.trial) delivered once after the link returned, 6/6 trials once, 0 duplicates")
        }
    }
}

/// The journalled result of the trial with this short id, if any.
func journalled(_ shortID: String, in runDir: URL) -> TrialResultRecord? {
    (try? Journal.read(runDir.path))?.results.first { $0.key.short == shortID }?.value
}
