import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// Progress liveness and trial deadlines (issue 17 §1), decided by the scheduler with a
/// fake clock: heartbeats keep coming, but the training thread's iterations stop.
@Suite struct ProgressLivenessTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2")
    /// 1 s heartbeats, liveness 4: the stall floor is 16 s.
    let policy = SchedulerPolicy(heartbeatInterval: 1, liveness: 4)

    /// Runs `t` on `worker` with progress heartbeats every second, `seconds` long, from `start`.
    /// `others` send plain heartbeats meanwhile, so that they stay alive.
    func train(_ h: inout Harness, _ worker: WorkerID, _ t: PlannedTrial, from start: Double, seconds: Double,
               stallAt fraction: Double? = nil, others: [WorkerID] = []) -> [SchedulerAction] {
        var all: [SchedulerAction] = []
        var time = start + 1
        while time < start + seconds {
            let done = (time - start) / seconds
            for other in others { all += h.send(.heartbeat(other), at: time) }
            all += h.send(.progress(worker, t.id, fraction: fraction.map { min($0, done) } ?? done), at: time)
            time += 1
        }
        return all
    }

    @Test func aStalledTrainingThreadIsTakenBackAfterItsBoundAndDoneElsewhereOnce() {
        // Cost 10 and 100: at the measured 0.2 s per unit of cost the big trial is expected
        // to take 20 s, so its stall bound is 5 × 20 = 100 s (above the 16 s floor).
        let small = trial(1, cost: 10), big = trial(2, cost: 100)
        var h = Harness([small, big], policy: policy)
        _ = h.send(.ready(w1, hello("wedged")), at: 0)
        _ = h.send(.ready(w2, hello("healthy")), at: 0)
        // w1 got the big one (the larger cost goes first), w2 the small one, which it finishes in 2 s: 0.2 s per cost.
        _ = h.send(.result(w2, small.id, outcome(0.5, wall: 2)), at: 2)
        // w1's progress rises to 30 %, then stops at t = 7 while its heartbeats go on.
        var actions = train(&h, w1, big, from: 0, seconds: 129, stallAt: 0.03 * 200 / 129, others: [w2])
        #expect(actions.firstIndex(of: .abandon(w1, big.id)) != nil, "\(actions.logs)")
        // The last advance was at t = 6 (fraction 0.03 reached at 6 s of 200): taken back 100 s later.
        #expect(actions.logs.contains("trial \(big.id.short): worker wedged's training made no progress for 100.0 s (its stall bound: 100.0 s); telling it to abandon the trial"), "\(actions.logs)")
        #expect(actions.logs.contains { $0.hasPrefix("trial \(big.id.short) requeued (its training stalled on worker wedged; 1 of 3 allowed losses)") }, "\(actions.logs)")
        // The idle healthy worker gets it at once, as attempt 2.
        #expect(actions.assigns.contains { $0.0 == w2 && $0.1 == big.id && $0.2 == 2 })
        // The wedged worker was forgotten: its heartbeats no longer count, and its late
        // result, should the thread ever come back, is recorded at most once.
        actions = h.send(.result(w2, big.id, outcome(0.7, wall: 20)), at: 130)
        _ = h.send(.result(w1, big.id, outcome(0.6, wall: 130)), at: 131)
        #expect(h.journal.count == 2)
        guard case .trialResult(let record)? = h.journal.last else { Issue.record("\(h.journal)"); return }
        #expect(record.worker == "healthy" && record.attempt == 2 && record.metrics.validationAccuracy == 0.7)
    }

    @Test func progressThatKeepsAdvancingIsNeverTakenBack() {
        var h = Harness([trial(1, cost: 1), trial(2, cost: 1)], policy: policy)
        let first = h.send(.ready(w2, hello("fast")), at: 0).assigns[0].1
        let second = h.send(.ready(w1, hello("slow")), at: 0).assigns[0].1
        _ = h.send(.result(w2, first, outcome(0.5, wall: 1)), at: 1)   // 1 s per unit of cost
        // Expected to take 1 s, the trial takes 300 s on a slow worker: it advances every
        // second, so it is slow, not stalled.
        let actions = train(&h, w1, h.scheduler.trials[second]!.planned, from: 1, seconds: 300)
        #expect(!actions.contains(.abandon(w1, second)), "\(actions.logs)")
        _ = h.send(.result(w1, second, outcome(0.6)), at: 301)
        #expect(h.scheduler.isFinished)
    }

    @Test func theFloorAppliesToShortTrialsAndTheStallClockWaitsForTheFirstReport() {
        var h = Harness([trial(1, cost: 1), trial(2, cost: 1)], policy: policy)
        let first = h.send(.ready(w2, hello("measured")), at: 0).assigns[0].1
        let second = h.send(.result(w2, first, outcome(0.5, wall: 0.1)), at: 0.1).assigns[0].1
        _ = h.send(.ready(w1, hello("idle")), at: 0.1)
        // w2 hands it back; w1 gets it.
        #expect(h.send(.goodbye(w2, abandoned: second), at: 0.2).assigns.map(\.0) == [w1])
        // 60 s of plain heartbeats before its first progress report (the data loads): no stall.
        var actions: [SchedulerAction] = []
        for t in stride(from: 1.0, through: 60, by: 1) { actions += h.send(.heartbeat(w1), at: t) }
        #expect(!actions.contains(.abandon(w1, second)))
        // Then one report and silence of the training thread: taken back after the 16 s floor.
        _ = h.send(.progress(w1, second, fraction: 0.1), at: 61)
        actions = []
        for t in stride(from: 62.0, through: 80, by: 1) { actions += h.send(.heartbeat(w1), at: t) }
        #expect(actions.firstIndex(of: .abandon(w1, second)) != nil)
        #expect(actions.logs.contains { $0.contains("made no progress for 16.0 s (its stall bound: 16.0 s)") }, "\(actions.logs)")
    }

    @Test func theTrialTimeoutCapsEveryTrialAndCountsALoss() {
        let t = trial(1, cost: 1)
        var h = Harness([t], policy: SchedulerPolicy(heartbeatInterval: 1, liveness: 4, maxAttempts: 2, trialTimeout: 30))
        _ = h.send(.ready(w1, hello("a")), at: 0)
        // Progress advances all along, yet after 30 s the trial is taken back.
        var actions = train(&h, w1, t, from: 0, seconds: 100)
        #expect(actions.contains(.abandon(w1, t.id)))
        #expect(actions.logs.contains("trial \(t.id.short): worker a ran it for more than the trial timeout of 30.0 s; telling it to abandon the trial"), "\(actions.logs)")
        // A second worker hits the same timeout: after 2 losses the trial is recorded as failed.
        actions = h.send(.ready(w2, hello("b")), at: 100)
        #expect(actions.assigns.map(\.2) == [2])
        _ = train(&h, w2, t, from: 100, seconds: 100)
        #expect(h.scheduler.isFinished)
        guard case .trialFailed(let record)? = h.journal.last else { Issue.record("\(h.journal)"); return }
        #expect(record.reason == "it ran longer than the trial timeout of 30.0 s on worker a; it ran longer than the trial timeout of 30.0 s on worker b")
    }

    @Test func theDeadlineIncludesTheStallBound() {
        var h = Harness([trial(1, cost: 1), trial(2, cost: 1)],
                        policy: SchedulerPolicy(heartbeatInterval: 1, liveness: 4, trialTimeout: 500))
        let first = h.send(.ready(w1, hello("a")), at: 0).assigns[0].1
        #expect(h.scheduler.nextDeadline == Instant(seconds: 1))          // the heartbeat
        #expect(h.scheduler.nextProgressDeadline == Instant(seconds: 500)) // the timeout
        _ = h.send(.progress(w1, first, fraction: 0.5), at: 0.5)
        let second = h.send(.ready(w2, hello("b")), at: 0.5).assigns[0].1
        _ = h.send(.result(w2, second, outcome(0.5, wall: 1)), at: 1)
        // Stall bound max(16, 5 × 1 s) = 16 s after the last advance at 0.5, before the timeout at 500.
        #expect(h.scheduler.nextProgressDeadline == Instant(seconds: 16.5))
    }
}
