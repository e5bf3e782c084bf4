import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

@Suite struct SchedulerDispatchTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2"), w3 = WorkerID("w3"), w4 = WorkerID("w4")

    @Test func longestFirstWithTiesByID() {
        let a = trial(1, cost: 1), b = trial(2, cost: 5), c = trial(3, cost: 3), d = trial(4, cost: 5)
        var h = Harness([a, b, c, d])
        var order: [TrialID] = []
        for (i, w) in [w1, w2, w3, w4].enumerated() {
            order += h.send(.ready(w, hello("n\(i)")), at: 0).assigns.map(\.1)
        }
        let tied = [b.id, d.id].sorted()
        #expect(order == tied + [c.id, a.id])
    }

    @Test func resultIsAckedOnceJournaledWhileTheNextTrialGoesOutAtOnce() {
        let big = trial(1, cost: 9), small = trial(2, cost: 1)
        var s = Scheduler(plan: [big, small], finished: [])
        #expect(s.handle(.ready(w1, hello("alpha")), at: at(0)).assigns.map(\.1) == [big.id])
        let afterResult = s.handle(.result(w1, big.id, outcome(0.5)), at: at(1))
        // Nothing is acknowledged before the journal confirms, but the worker gets its next
        // trial at once (pipelining): it holds its result until the ack.
        #expect(afterResult.acks.isEmpty)
        #expect(afterResult.assigns.map { [$0.0 == w1, $0.1 == small.id, $0.2 == 1] } == [[true, true, true]])
        #expect(afterResult.firstIndex { if case .appendToJournal = $0 { return true } else { return false } }!
                < afterResult.firstIndex { if case .assign = $0 { return true } else { return false } }!)
        guard case .trialResult(let record)? = afterResult.appends.first else {
            Issue.record("expected a result record, got \(afterResult)"); return
        }
        #expect(record.trial == big.id && record.worker == "alpha" && record.attempt == 1)
        #expect(record.metrics.validationAccuracy == 0.5)
        let afterAppend = s.handle(.journalAppended(big.id), at: at(1))
        #expect(afterAppend.first == .ack(w1, big.id))
        #expect(afterAppend.assigns.isEmpty)
        #expect(s.status.running == 1 && s.status.recording == 0)
    }

    @Test func completionFinishesAndShutsDownIdleWorkers() {
        let t = trial(1, cost: 1)
        var h = Harness([t])
        _ = h.send(.ready(w1, hello("a")), at: 0)
        _ = h.send(.ready(w2, hello("b")), at: 0)
        let end = h.send(.result(w1, t.id, outcome(0.7)), at: 2)
        let summary = end.summary
        #expect(summary == RunSummary(total: 1, skipped: 0, done: 1, diverged: 0, failed: 0, unfinished: 0,
                                      haltReason: nil, elapsedSeconds: 2))
        #expect(Set(end.shutdowns) == [w1, w2])
        // The ack precedes the shutdown, so the worker does not resend its result.
        let ackIndex = end.firstIndex(of: .ack(w1, t.id))!, shutdownIndex = end.firstIndex(of: .shutdown(w1))!
        #expect(ackIndex < shutdownIndex)
        #expect(h.scheduler.isFinished)
        // A worker arriving after the end is told to go home.
        #expect(h.send(.ready(w3, hello("c")), at: 3) == [.shutdown(w3)])
    }

    @Test func skipsTrialsTheJournalHas() {
        let done = trial(1, cost: 9), todo = trial(2, cost: 1)
        var h = Harness([done, todo], finished: [done.id])
        #expect(h.send(.ready(w1, hello("a")), at: 0).assigns.map(\.1) == [todo.id])
        #expect(h.scheduler.status.skipped == 1 && h.scheduler.status.finished == 1)
        // A resend of the earlier run's result is acknowledged but not recorded again.
        let resend = h.send(.result(w1, done.id, outcome(0.1)), at: 1)
        #expect(resend.acks.map(\.1) == [done.id] && resend.appends.isEmpty)
    }

    @Test func everythingAlreadyFinishedEndsAtStart() {
        let t = trial(1, cost: 1)
        var h = Harness([t, t], finished: [t.id])
        #expect(h.scheduler.duplicatesInPlan == 1)
        let actions = h.send(.start, at: 0)
        #expect(actions.summary?.skipped == 1 && actions.summary?.total == 1)
    }

    @Test func workerWithOtherNumericsIsRefused() {
        var h = Harness([trial(1, cost: 1)])
        let actions = h.send(.ready(w1, hello("old", numerics: "hg-numerics-0")), at: 0)
        #expect(actions.contains { if case .refuse(w1, _) = $0 { return true } else { return false } })
        #expect(actions.assigns.isEmpty && h.scheduler.status.workers == 0)
    }

    @Test func resultForATrialOutsideThePlanIsIgnored() {
        var h = Harness([trial(1, cost: 1)])
        _ = h.send(.ready(w1, hello("a")), at: 0)
        let stray = trial(99, cost: 1)
        let actions = h.send(.result(w1, stray.id, outcome(0.9)), at: 1)
        #expect(actions.appends.isEmpty)
        #expect(actions.logs.contains { $0.contains("not a trial of this run's plan") })
        #expect(h.scheduler.status.running == 1)
    }

    @Test func statusReportsBestAccuracyAndETA() {
        // Two workers, costs 20, 10, 10, 4: the first result measures 2 s per unit of cost.
        let a = trial(1, cost: 20), b = trial(2, cost: 10), c = trial(3, cost: 10), d = trial(4, cost: 4)
        var h = Harness([a, b, c, d])
        _ = h.send(.ready(w1, hello("a")), at: 0)
        _ = h.send(.ready(w2, hello("b")), at: 0)
        #expect(h.scheduler.status.etaSeconds == nil)
        _ = h.send(.progress(w1, a.id, fraction: 0.5), at: 0.5)
        _ = h.send(.result(w2, b.id, outcome(0.4, wall: 20)), at: 0.6)
        let status = h.scheduler.status
        #expect(status.bestValidationAccuracy == 0.4 && status.bestTrial == b.id)
        #expect(status.running == 2 && status.pending == 1 && status.finished == 1)
        // Remaining cost: half of a (10) + c running from scratch (10) + d pending (4) = 24
        // units at 2 s each, shared by 2 workers.
        #expect(status.etaSeconds == 24.0 * 2 / 2)
        #expect(status.line.contains("1/4 done") && status.line.contains("best val 0.4000"))
    }
}

@Suite struct SchedulerLivenessTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2"), w3 = WorkerID("w3")
    let policy = SchedulerPolicy(heartbeatInterval: 1, liveness: 4, maxAttempts: 3)

    @Test func heartbeatsGoOutEveryInterval() {
        var h = Harness([trial(1, cost: 1)], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)
        var sent: [Double] = []
        for step in 1...12 {
            let time = Double(step) * 0.25
            let actions = h.send(.heartbeat(w1), at: time) + h.send(.tick, at: time)
            #expect(actions.heartbeats.count <= 1)
            if actions.heartbeats == [w1] { sent.append(time) }
        }
        #expect(sent == [1, 2, 3])
        #expect(h.scheduler.nextDeadline == at(4))
    }

    @Test func lateTickSendsOneHeartbeatNotABurst() {
        var h = Harness([trial(1, cost: 1)], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)
        // Three heartbeats were due by 3.5 s; one goes out, and the next one interval later.
        #expect(h.send(.heartbeat(w1), at: 3.5).heartbeats == [w1])
        #expect(h.send(.tick, at: 4.4).heartbeats.isEmpty)
        #expect(h.send(.tick, at: 4.5).heartbeats == [w1])
    }

    @Test func silenceForIntervalTimesLivenessIsDeath() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)
        #expect(h.send(.tick, at: 3.999).logs.allSatisfy { !$0.contains("presumed dead") })
        #expect(h.scheduler.status.workers == 1)
        let death = h.send(.tick, at: 4)
        #expect(death.logs.contains { $0.contains("presumed dead") })
        #expect(h.scheduler.status.workers == 0 && h.scheduler.status.pending == 1)
    }

    @Test func deadWorkersTrialRunsElsewhereAndIsRecordedOnce() {
        let t = trial(1, cost: 5), other = trial(2, cost: 1)
        var h = Harness([t, other], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)             // w1 gets t
        _ = h.send(.ready(w2, hello("b")), at: 0)             // w2 gets other
        _ = h.send(.result(w2, other.id, outcome(0.3)), at: 1) // w2 idle
        _ = h.send(.heartbeat(w2), at: 3.5)
        let death = h.send(.tick, at: 4.5)                    // w1 silent 4.5 s
        #expect(death.assigns.map { [$0.0 == w2, $0.1 == t.id, $0.2 == 2] } == [[true, true, true]])
        let done = h.send(.result(w2, t.id, outcome(0.6)), at: 5)
        #expect(done.summary?.done == 2)
        #expect(h.journal.compactMap(\.trialID).filter { $0 == t.id }.count == 1)
    }

    @Test func lateResultFromThePresumedDeadIsRecordedOnce() {
        let t = trial(1, cost: 5)
        var h = Harness([t], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)
        _ = h.send(.ready(w2, hello("b")), at: 0)
        _ = h.send(.heartbeat(w2), at: 3.5)
        let requeue = h.send(.tick, at: 4)
        #expect(requeue.assigns.count == 1 && requeue.assigns[0].0 == w2 && requeue.assigns[0].2 == 2)
        // w1 was alive after all and delivers: first result wins, labelled with its attempt.
        let late = h.send(.result(w1, t.id, outcome(0.8)), at: 4.5)
        guard case .trialResult(let record)? = late.appends.first else {
            Issue.record("late result not recorded: \(late)"); return
        }
        #expect(record.attempt == 1 && record.worker == "a")
        #expect(late.acks.map(\.0) == [w1])
        #expect(late.summary?.done == 1)
        // keepAlive is off: w2, still running the redundant copy, is shut down.
        #expect(late.shutdowns == [w2])
        #expect(h.journal.count == 1)
    }

    @Test func lateResultWhileTheCopyStillRunsMakesItsResultADuplicate() {
        let t = trial(1, cost: 5), u = trial(2, cost: 1)
        var h = Harness([t, u], policy: policy)
        _ = h.send(.ready(w1, hello("a")), at: 0)   // t
        _ = h.send(.ready(w2, hello("b")), at: 0)   // u
        _ = h.send(.result(w2, u.id, outcome(0.2)), at: 1)
        _ = h.send(.heartbeat(w2), at: 3.5)
        _ = h.send(.tick, at: 4)                     // w1 dead; t to w2
        _ = h.send(.ready(w3, hello("c")), at: 4.2)
        let late = h.send(.result(w1, t.id, outcome(0.8)), at: 4.5)
        #expect(late.appends.count == 1)
        let copy = h.send(.result(w2, t.id, outcome(0.1)), at: 6)
        #expect(copy.appends.isEmpty && copy.acks.map(\.0) == [w2])
        #expect(h.journal.count == 2)
        if case .trialResult(let r) = h.journal.last! { #expect(r.metrics.validationAccuracy == 0.8) }
    }

    @Test func duplicateResendsAreAckedAndIgnored() {
        let t = trial(1, cost: 1), u = trial(2, cost: 0.5)
        var h = Harness([t, u], policy: policy)
        h.confirm = false
        _ = h.send(.ready(w1, hello("a")), at: 0)
        #expect(h.send(.result(w1, t.id, outcome(0.5)), at: 1).appends.count == 1)
        // Resent before the journal confirmed: held, then acknowledged once with the first.
        let early = h.send(.result(w1, t.id, outcome(0.5)), at: 1.1)
        #expect(early.appends.isEmpty && early.acks.isEmpty)
        let confirmed = h.send(.journalAppended(t.id), at: 1.2)
        #expect(confirmed.acks.map(\.1) == [t.id])
        // Resent after the ack was lost on the way: acknowledged again, not recorded.
        let late = h.send(.result(w1, t.id, outcome(0.5)), at: 2)
        #expect(late.appends.isEmpty && late.acks.map(\.1) == [t.id])
        #expect(h.journal.count == 1)
    }

    @Test func maxAttemptsMarksTheTrialFailed() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: policy)
        var clock = 0.0
        var last: [SchedulerAction] = []
        for round in 0..<3 {
            // The same host reconnects with a new routing id each time and dies again.
            let id = WorkerID("gpu-\(round)")
            #expect(h.send(.ready(id, hello("gpu")), at: clock).assigns.map(\.2) == [round + 1])
            clock += 5
            last = h.send(.tick, at: clock)
        }
        guard case .trialFailed(let record)? = h.journal.last else {
            Issue.record("no failure recorded: \(h.journal)"); return
        }
        #expect(record.reason == "worker gpu went silent 3 times")
        #expect(record.attempts == 3)
        #expect(last.summary?.failed == 1)
    }

    @Test func goodbyeRequeuesWithoutCountingALoss() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: SchedulerPolicy(maxAttempts: 1))
        _ = h.send(.ready(w1, hello("a")), at: 0)
        let bye = h.send(.goodbye(w1, abandoned: t.id), at: 1)
        #expect(bye.appends.isEmpty && h.scheduler.status.pending == 1 && h.scheduler.status.workers == 0)
        let next = h.send(.ready(w2, hello("b")), at: 2)
        #expect(next.assigns.map(\.2) == [2])
    }

    @Test func readyWhileBusyMeansTheWorkerRestarted() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: SchedulerPolicy(maxAttempts: 2))
        _ = h.send(.ready(w1, hello("a")), at: 0)
        let again = h.send(.ready(w1, hello("a")), at: 1)
        #expect(again.assigns.map(\.2) == [2])
        _ = h.send(.ready(w1, hello("a")), at: 2)
        guard case .trialFailed(let record)? = h.journal.last else {
            Issue.record("expected failure after two restarts: \(h.journal)"); return
        }
        #expect(record.reason == "worker a restarted while running it 2 times")
    }

    @Test func keepAliveKeepsWorkersAndHeartbeats() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: SchedulerPolicy(keepAlive: true))
        _ = h.send(.ready(w1, hello("a")), at: 0)
        let end = h.send(.result(w1, t.id, outcome(0.5)), at: 0.5)
        #expect(end.summary != nil && end.shutdowns.isEmpty)
        #expect(h.send(.tick, at: 1).heartbeats == [w1])
        let joined = h.send(.ready(w2, hello("b")), at: 1.5)
        #expect(joined.shutdowns.isEmpty && joined.assigns.isEmpty && h.scheduler.status.workers == 2)
        // `finished` is emitted once only.
        #expect(h.send(.tick, at: 2).summary == nil)
    }

    @Test func journalFailureHaltsTheRun() {
        let t = trial(1, cost: 2), u = trial(2, cost: 1)
        var h = Harness([t, u], policy: SchedulerPolicy(keepAlive: true))
        h.confirm = false
        _ = h.send(.ready(w1, hello("a")), at: 0)
        _ = h.send(.result(w1, t.id, outcome(0.5)), at: 1)
        let halt = h.send(.journalFailed(t.id, message: "No space left on device"), at: 1)
        #expect(halt.acks.isEmpty && halt.assigns.isEmpty)
        #expect(halt.summary?.haltReason?.contains("No space left on device") == true)
        #expect(halt.summary?.unfinished == 2)
        #expect(halt.shutdowns == [w1])
        // Nothing is dispatched or acknowledged afterwards.
        let after = h.send(.ready(w2, hello("b")), at: 2)
        #expect(after == [.shutdown(w2)])
        #expect(h.send(.result(w2, u.id, outcome(0.9)), at: 3).acks.isEmpty)
    }
}
