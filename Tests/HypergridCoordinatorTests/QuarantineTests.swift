import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// Worker quarantine (issue 17 §2), decided by the scheduler with a fake clock.
@Suite struct QuarantineTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2"), w1again = WorkerID("w1-reconnected")

    func failed(_ reason: String = "cannot allocate memory") -> TrialOutcome {
        var o = outcome(nil, status: .failed)
        o.metrics.reason = reason
        return o
    }

    /// The trial `worker` is running, from the assignments so far.
    func running(_ actions: [SchedulerAction], _ worker: WorkerID) -> TrialID? {
        actions.assigns.last { $0.0 == worker }?.1
    }

    @Test func threeFailuresInARowQuarantineTheWorkerAfterItsLastResultIsAcknowledged() {
        let plan = (1...8).map { trial(UInt64($0), cost: Double($0)) }
        var h = Harness(plan)
        // A healthy worker succeeds once first: the failures are then the broken worker's.
        var healthy = h.send(.ready(w2, hello("healthy")), at: 0)
        healthy = h.send(.result(w2, running(healthy, w2)!, outcome(0.5)), at: 0.5)
        var actions = h.send(.ready(w1, hello("broken")), at: 0.5)
        var t = 1.0
        for n in 1...3 {
            let trialID = running(actions, w1)!
            actions = h.send(.result(w1, trialID, failed()), at: t)
            t += 1
            #expect(actions.acks.map(\.1) == [trialID])
            if n < 3 {
                #expect(actions.assigns.count == 1, "still trusted after \(n) failures")
            } else {
                // Acknowledged, then told, then nothing more: the result is durable first.
                #expect(actions.assigns.isEmpty)
                let ack = actions.firstIndex(of: .ack(w1, trialID))!
                let told = actions.firstIndex(of: .quarantine(w1, reason: "its last 3 trials failed (last: cannot allocate memory)"))
                #expect(told != nil && ack < told!, "\(actions)")
                #expect(actions.logs.contains("worker broken quarantined: its last 3 trials failed (last: cannot allocate memory); it gets no more work in this run"))
            }
        }
        // It is out for the rest of the run, even on a new connection; a healthy worker finishes the grid.
        let r1 = h.send(.ready(w1again, hello("broken")), at: t)
        #expect(Array(r1.prefix(2)) == [
            .quarantine(w1again, reason: "its last 3 trials failed (last: cannot allocate memory)"),
            .log(.info, "worker broken (w1-reconnected) is quarantined; turned away"),
        ])
        actions = healthy
        while let trialID = running(actions, w2), !h.scheduler.isFinished {
            t += 1
            actions = h.send(.result(w2, trialID, outcome(0.5)), at: t)
        }
        let summary = h.scheduler.summary
        #expect(summary.done == 5 && summary.failed == 3 && summary.unfinished == 0)
        #expect(summary.quarantined == [QuarantinedWorker(name: "broken", reason: "its last 3 trials failed (last: cannot allocate memory)")])
        #expect(h.journal.count == 9)
        #expect(h.journal.contains(.workerQuarantined(WorkerQuarantinedRecord(worker: "broken", reason: "its last 3 trials failed (last: cannot allocate memory)"))))
    }

    @Test func aSuccessEndsTheStreak() {
        let plan = (1...6).map { trial(UInt64($0), cost: Double($0)) }
        var h = Harness(plan)
        var actions = h.send(.ready(w1, hello("flaky")), at: 0)
        for (i, o) in [failed(), failed(), outcome(0.4), failed(), failed(), outcome(0.3)].enumerated() {
            actions = h.send(.result(w1, running(actions, w1)!, o), at: Double(i + 1))
        }
        #expect(h.scheduler.isFinished)
        #expect(h.scheduler.summary.quarantined.isEmpty)
    }

    @Test func aRejectedResultQuarantinesAtOnceAndItsRunningTrialIsRequeuedWithoutALoss() {
        let a = trial(1, cost: 2), b = trial(2, cost: 1)
        var h = Harness([a, b])
        _ = h.send(.ready(w1, hello("liar")), at: 0)
        _ = h.send(.ready(w2, hello("honest")), at: 0)
        // The driver found its result impossible while it already runs... (here: it still runs a).
        let actions = h.send(.quarantine(w1, reason: "its result for trial x was rejected: its validation accuracy 7.0 is not a fraction in [0, 1]"), at: 1)
        #expect(actions.contains(.quarantine(w1, reason: "its result for trial x was rejected: its validation accuracy 7.0 is not a fraction in [0, 1]")))
        #expect(actions.logs.contains("trial \(a.id.short) requeued: its worker liar is quarantined"))
        // The honest worker finishes b, then gets a at attempt 2, with no loss counted.
        let next = h.send(.result(w2, b.id, outcome(0.5)), at: 2)
        #expect(next.assigns.map { $0.1 } == [a.id])
        _ = h.send(.result(w2, a.id, outcome(0.6)), at: 3)
        #expect(h.scheduler.isFinished && h.scheduler.summary.done == 2)
        guard case .trialResult(let record)? = h.journal.last else { Issue.record("\(h.journal)"); return }
        #expect(record.trial == a.id && record.worker == "honest" && record.attempt == 2)
        #expect(h.scheduler.trials[a.id]!.losses.isEmpty)
    }

    @Test func whenEveryWorkerFailsNobodyIsQuarantined() {
        let plan = (1...8).map { trial(UInt64($0), cost: Double($0)) }
        var h = Harness(plan)
        var a = h.send(.ready(w1, hello("a")), at: 0), b = h.send(.ready(w2, hello("b")), at: 0)
        var t = 1.0
        while !h.scheduler.isFinished {
            if let trialID = running(a, w1) { a = h.send(.result(w1, trialID, failed("the grid asks for the impossible")), at: t) }
            if let trialID = running(b, w2), !h.scheduler.isFinished { b = h.send(.result(w2, trialID, failed("the grid asks for the impossible")), at: t) }
            t += 1
            if t > 20 { break }
        }
        #expect(h.scheduler.isFinished && h.scheduler.summary.failed == 8 && h.scheduler.summary.quarantined.isEmpty)
    }

    @Test func zeroNeverQuarantinesForFailures() {
        let plan = (1...4).map { trial(UInt64($0), cost: Double($0)) }
        var h = Harness(plan, policy: SchedulerPolicy(quarantineAfter: 0))
        var actions = h.send(.ready(w1, hello("w")), at: 0)
        for i in 1...4 { actions = h.send(.result(w1, running(actions, w1)!, failed()), at: Double(i)) }
        #expect(h.scheduler.isFinished && h.scheduler.summary.failed == 4 && h.scheduler.summary.quarantined.isEmpty)
    }
}
