import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// Workers that hold their next assignments (`hypergrid worker --prefetch N`), decided by
/// the scheduler with a fake clock: how many they get, what a loss costs the trials they
/// held, and when a held trial's clock starts.
@Suite struct PrefetchSchedulerTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2")
    let plan = (1...6).map { trial(UInt64($0), cost: Double(10 - $0)) }

    @Test func aPrefetchingWorkerHoldsOnePlusItsPrefetchAndGetsMoreAsResultsArrive() {
        var h = Harness(plan)
        let first = h.send(.ready(w1, hello("prefetching", prefetch: 2)), at: 0).assigns
        #expect(first.map(\.1) == plan.prefix(3).map(\.id) && first.allSatisfy { $0.0 == w1 })
        let second = h.send(.ready(w2, hello("one at a time")), at: 0).assigns
        #expect(second.map(\.1) == [plan[3].id])
        // A result frees one slot: one more assignment, the next in cost order.
        let after = h.send(.result(w1, plan[0].id, outcome(0.5)), at: 1)
        #expect(after.assigns.map(\.1) == [plan[4].id] && after.assigns[0].0 == w1)
        #expect(h.scheduler.workers[w1]?.held == [plan[1].id, plan[2].id, plan[4].id])
        #expect(h.scheduler.status.running == 4)
    }

    @Test func aLostWorkerCostsALossOnlyToTheTrialItWasTraining() {
        var h = Harness(Array(plan.prefix(3)), policy: SchedulerPolicy(heartbeatInterval: 1, liveness: 4))
        _ = h.send(.ready(w1, hello("prefetching", prefetch: 2)), at: 0)
        // Silent for the expiry: presumed dead.
        let actions = h.send(.tick, at: 4.5)
        #expect(h.scheduler.trials[plan[0].id]?.losses == ["worker prefetching went silent"], "\(actions.logs)")
        #expect(h.scheduler.trials[plan[1].id]?.losses == [] && h.scheduler.trials[plan[2].id]?.losses == [])
        #expect(h.scheduler.status.pending == 3 && h.scheduler.workers[w1] == nil)
        // Another worker gets all three, the lost attempt's trial as attempt 2, the others as
        // attempt 2 too (an assignment is an attempt, a loss is not counted for them).
        let again = h.send(.ready(w2, hello("other", prefetch: 2)), at: 5).assigns
        #expect(Set(again.map(\.1)) == Set(plan.prefix(3).map(\.id)))
    }

    @Test func leavingOrRestartingHandsBackEveryHeldTrial() {
        var h = Harness(Array(plan.prefix(4)))
        _ = h.send(.ready(w1, hello("prefetching", prefetch: 1)), at: 0)
        let left = h.send(.goodbye(w1, abandoned: plan[0].id), at: 1)
        #expect(left.logs.contains("worker prefetching left; trial \(plan[0].id.short), \(plan[1].id.short) requeued"), "\(left.logs)")
        #expect(h.scheduler.trials.values.allSatisfy { $0.losses.isEmpty } && h.scheduler.status.pending == 4)

        _ = h.send(.ready(w2, hello("restarts", prefetch: 1)), at: 2)
        let restarted = h.send(.ready(w2, hello("restarts", prefetch: 1)), at: 3)
        // The one it trained counts a loss; the one waiting behind it does not.
        #expect(h.scheduler.trials[plan[0].id]?.losses == ["worker restarts restarted while running it"], "\(restarted.logs)")
        #expect(h.scheduler.trials[plan[1].id]?.losses == [])
        #expect(restarted.assigns.count == 2 && h.scheduler.workers[w2]?.held.count == 2)
    }

    @Test func aHeldTrialsClockStartsWhenItsTurnComes() {
        // A 10 s trial timeout: the second trial waits 8 s on the worker behind the first,
        // then trains; it is taken back 10 s after its turn came, not after it was assigned.
        var h = Harness(Array(plan.prefix(2)), policy: SchedulerPolicy(heartbeatInterval: 1, liveness: 100, trialTimeout: 10))
        _ = h.send(.ready(w1, hello("prefetching", prefetch: 1)), at: 0)
        _ = h.send(.result(w1, plan[0].id, outcome(0.5, wall: 8)), at: 8)
        var early: [SchedulerAction] = []
        for t in stride(from: 9.0, through: 17.5, by: 0.5) { early += h.send(.heartbeat(w1), at: t) }
        #expect(!early.contains(.abandon(w1, plan[1].id)), "\(early.logs)")
        let late = h.send(.heartbeat(w1), at: 18.5)
        #expect(late.contains(.abandon(w1, plan[1].id)), "\(late.logs)")
    }
}
