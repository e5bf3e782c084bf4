import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// The coordinator SIGKILLed mid-run and restarted on the same run directory.
    @Suite struct CoordinatorCrash {
        /// While the coordinator is down the worker finishes its trial and keeps the result
        /// on disk; the journal's last line is then torn in half, as a crash in the middle
        /// of appending it would leave it. The restarted coordinator must drop the torn line
        /// and get that trial's result again, take the worker's kept result without training it
        /// again, and leave every other finished trial alone.
        @Test func restartKeepsResultsFinishedWhileDownAndRerunsOnlyATornRecord() throws {
            let scenario = try FaultScenario("crash-coordinator")
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [3000])
            let arguments = scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 8)
            let first = try scenario.start(arguments, log: "coordinator-1")
            // The worker presumes the coordinator gone after 1 s of silence, so it reconnects soon.
            let worker = try scenario.start(scenario.workerArguments("w1", heartbeat: 0.2, liveness: 5), log: "worker")

            // Two results journalled and the worker training a third trial: kill without warning.
            var inFlight: String?
            #expect(waitUntil(timeout: 120) {
                guard let replay = try? Journal.read(scenario.runDir.path), replay.results.count >= 2 else { return false }
                let recorded = Set(replay.results.keys.map(\.short))
                inFlight = startedTrials(workerLog: worker.log).last.flatMap { recorded.contains($0) ? nil : $0 }
                return inFlight != nil
            }, "\(worker.log)")
            first.signal(SIGKILL)
            #expect(first.wait(timeout: 10) != nil)
            let finishedWhileDown = try #require(inFlight)
            let beforeCrash = try Journal.read(scenario.runDir.path)
            #expect(!beforeCrash.results.keys.contains { $0.short == finishedWhileDown })

            // The worker finishes that trial with nobody to tell, and keeps the result.
            #expect(waitUntil(timeout: 120) {
                unacknowledgedResults(cache: scenario.cache).contains { $0.hasPrefix(finishedWhileDown) }
            }, "\(worker.log)")

            // Tear the journal's last line (the latest result) as a crash mid-append would.
            let journal = scenario.runDir.appendingPathComponent(Journal.fileName)
            let bytes = try [UInt8](Data(contentsOf: journal))
            #expect(bytes.last == 0x0A)
            let lastLineStart = bytes.dropLast().lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            guard case .trialResult(let tornRecord)? = beforeCrash.entries.last?.record else {
                Issue.record("the journal's last line is not a result: \(String(decoding: bytes[lastLineStart...], as: UTF8.self))")
                return
            }
            let tornLength = (bytes.count - 1 - lastLineStart) / 2
            try Data(bytes[..<(lastLineStart + tornLength)]).write(to: journal)
            #expect(try Journal.read(scenario.runDir.path).tornTail != nil)
            let kept = beforeCrash.results.filter { $0.key != tornRecord.trial }

            let second = try scenario.start(arguments, log: "coordinator-2")
            let status = second.wait(timeout: 240)
            #expect(status == 0, "\(second.log)")
            #expect(second.log.contains("dropped a torn last line of the journal"), "\(second.log)")
            #expect(second.log.contains("\(kept.count) already in the journal"), "\(second.log)")

            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 8)
            // Finished trials were neither re-run nor changed.
            for (id, result) in kept {
                #expect(replay.results[id] == result)
                #expect(trainingsStarted(id.short, workerLog: worker.log) == 1, "\(id.short) trained again")
            }
            // The result made while the coordinator was down was delivered, not recomputed.
            #expect(trainingsStarted(finishedWhileDown, workerLog: worker.log) == 1, "\(worker.log)")
            // (It may arrive before the worker's `ready`, on the socket ZeroMQ reconnected by
            // itself, and then carries the connection's routing id instead of "w1".)
            #expect(replay.results.contains { $0.key.short == finishedWhileDown })
            // The torn record's trial came back with the same result. Either it trained again
            // (the worker had its acknowledgement and dropped the result), or, when the
            // coordinator was killed between the fsync and the acknowledgement, the worker
            // still kept it and sent it again without training: both are right.
            let torn = tornRecord.trial.short
            let resent = worker.log.contains("assigned trial \(torn), whose result is already here")
            #expect(trainingsStarted(torn, workerLog: worker.log) == (resent ? 1 : 2), "\(worker.log)")
            // (Bit-reproducible: everything but the wall-clock figures is identical.)
            var again = replay.results[tornRecord.trial]?.metrics
            again?.wallSeconds = tornRecord.metrics.wallSeconds
            again?.samplesPerSecond = tornRecord.metrics.samplesPerSecond
            #expect(again == tornRecord.metrics, "\(worker.log)")
            #expect(replay.results[tornRecord.trial]?.history == tornRecord.history, "\(worker.log)")
            #expect(worker.wait(timeout: 30) == 0, "\(worker.log)")
            #expect(unacknowledgedResults(cache: scenario.cache).isEmpty)
            print("coordinator crash: 1 kill survived, \(kept.count) journalled results kept, 1 result finished while down delivered, 1 torn record \(resent ? "re-sent from the worker's disk" : "re-run"), 8/8 trials once")
        }
    }
}
