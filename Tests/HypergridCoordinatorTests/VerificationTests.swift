import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// Verified results (issue 17 §3), decided by the scheduler with a fake clock: which trials
/// are re-run, on whom, what a mismatch leads to, and that a journal replay rebuilds it all.
@Suite struct VerificationTests {
    /// A simulated worker: honest ones report the trial's true digest, a faulty one a
    /// different digest and a better-looking accuracy.
    struct SimWorker {
        var id: WorkerID
        var name: String
        var faulty = false
    }

    static func honestDigest(_ trial: TrialID) -> String { trial.hex }
    static func wrongDigest(_ trial: TrialID) -> String { String(trial.hex.reversed()) }

    static func result(_ trial: TrialID, by worker: SimWorker) -> TrialOutcome {
        var o = outcome(worker.faulty ? 0.9 : 0.5)
        o.digest = worker.faulty ? wrongDigest(trial) : honestDigest(trial)
        return o
    }

    /// 20 trials of 20 grid points (one leaderboard row each).
    static let plan = (1...20).map { trial(UInt64($0), cost: Double(21 - $0), hidden: [8 * $0]) }

    static func policy(_ fraction: Double = 0.1, seed: UInt64 = 7) -> SchedulerPolicy {
        SchedulerPolicy(verifyFraction: fraction, verifySeed: seed)
    }

    /// Drives the harness: each worker answers its assignments in turn (the one whose
    /// assignment is oldest first), one second apart, until the run finishes; a worker told
    /// it is quarantined stops. Stops early after `limit` results. Returns every action.
    @discardableResult
    static func drive(_ h: inout Harness, _ workers: [SimWorker], from start: Double = 0,
                      limit: Int = .max) -> [SchedulerAction] {
        var all: [SchedulerAction] = []
        var queue: [(WorkerID, TrialID)] = []
        var gone = Set<WorkerID>()
        func take(_ actions: [SchedulerAction]) {
            all += actions
            for action in actions {
                switch action {
                case .assign(let w, let t, _): queue.append((w, t.id))
                case .quarantine(let w, _), .shutdown(let w): gone.insert(w)
                default: break
                }
            }
        }
        var t = start
        for w in workers { take(h.send(.ready(w.id, hello(w.name)), at: t)) }
        var results = 0
        while !queue.isEmpty, !h.scheduler.isFinished, results < limit {
            let (id, trialID) = queue.removeFirst()
            guard !gone.contains(id), let worker = workers.first(where: { $0.id == id }) else { continue }
            t += 1
            results += 1
            take(h.send(.result(id, trialID, result(trialID, by: worker)), at: t))
        }
        return all
    }

    static func resultRecords(_ journal: [JournalRecord]) -> [TrialResultRecord] {
        journal.compactMap { if case .trialResult(let r) = $0 { return r } else { return nil } }
    }

    static func verifications(_ journal: [JournalRecord]) -> [VerificationRecord] {
        journal.compactMap { if case .verification(let v) = $0 { return v } else { return nil } }
    }

    static let honest = [SimWorker(id: WorkerID("a"), name: "alpha"), SimWorker(id: WorkerID("b"), name: "beta"),
                         SimWorker(id: WorkerID("c"), name: "gamma")]

    @Test func theSampleIsAFunctionOfTheSeedAndTheIdsAlone() {
        let a = Scheduler(plan: Self.plan, finished: [], policy: Self.policy())
        let b = Scheduler(plan: Self.plan.reversed(), finished: [], policy: Self.policy())
        #expect(a.ledger.sampled.count == 2, "ceil(0.1 × 20)")
        #expect(a.ledger.sampled == b.ledger.sampled)
        let others = (1...10).map { seed in
            Scheduler(plan: Self.plan, finished: [], policy: Self.policy(seed: seed)).ledger.sampled
        }
        #expect(Set(others).count > 1, "the seed moves the sample")
        #expect(Scheduler(plan: Self.plan, finished: [], policy: Self.policy(0)).ledger.sampled.isEmpty)
        #expect(Scheduler(plan: Self.plan, finished: [], policy: Self.policy(1)).ledger.sampled.count == 20)
    }

    @Test func honestWorkersEveryOneVerifiedOnAnotherWorkerAndEveryTrialOnce() {
        var h = Harness(Self.plan, policy: Self.policy())
        let actions = Self.drive(&h, Self.honest)
        #expect(h.scheduler.isFinished)
        let results = Self.resultRecords(h.journal)
        #expect(results.count == 20 && Set(results.map(\.trial)).count == 20, "every trial exactly once")
        let checks = Self.verifications(h.journal)
        #expect(checks.allSatisfy { $0.purpose == .verify && $0.verdict == .match })
        let originalWorker = Dictionary(uniqueKeysWithValues: results.map { ($0.trial, $0.worker) })
        #expect(checks.allSatisfy { $0.worker != originalWorker[$0.trial] }, "re-run on another worker")
        // The sample, plus the cheapest result of each worker not already covered by it.
        #expect(Set(checks.map(\.trial)).isSuperset(of: h.scheduler.ledger.sampled))
        let cost = Dictionary(uniqueKeysWithValues: Self.plan.map { ($0.id, $0.cost) })
        for worker in Set(results.map(\.worker)) {
            #expect(checks.contains { originalWorker[$0.trial] == worker }, "at least one of \(worker)'s results checked")
            // A worker covered by coverage, not by the sample, is checked on its cheapest result.
            let mine = results.filter { $0.worker == worker }.map(\.trial)
            if !mine.contains(where: h.scheduler.ledger.sampled.contains) {
                let cheapest = mine.min { (cost[$0]!, $0) < (cost[$1]!, $1) }!
                #expect(checks.contains { $0.trial == cheapest }, "\(worker)'s cheapest result checked")
            }
        }
        #expect(checks.count <= 2 + 3)
        #expect(actions.assigns.count == 20 + checks.count)
        #expect(h.scheduler.summary.quarantined.isEmpty)
        #expect(h.scheduler.summary.verification?.hasPrefix("verification: \(checks.count) re-runs of 20 verifiable trials (\(checks.count) matched)") == true,
                "\(h.scheduler.summary.verification ?? "nil")")
    }

    @Test func aFaultyWorkerIsOutvotedQuarantinedAndEveryOneOfItsResultsRedone() {
        let bad = SimWorker(id: WorkerID("c"), name: "gamma", faulty: true)
        let workers = [Self.honest[0], Self.honest[1], bad]
        var h = Harness(Self.plan, policy: Self.policy())
        let actions = Self.drive(&h, workers)
        #expect(h.scheduler.isFinished)
        // Found and told.
        #expect(h.scheduler.summary.quarantined.map(\.name) == ["gamma"])
        #expect(actions.contains { if case .quarantine(bad.id, _) = $0 { return true } else { return false } })
        #expect(h.journal.contains { if case .workerQuarantined(let q) = $0 { return q.worker == "gamma" } else { return false } })
        // The dispute went to a third worker, who sided with the honest digest.
        let checks = Self.verifications(h.journal)
        let mismatch = checks.first { $0.verdict == .mismatch }
        #expect(mismatch != nil)
        let decision = checks.first { $0.purpose == .arbitrate }
        #expect(decision != nil && decision!.faulty == "gamma" && decision!.worker != "gamma")
        #expect(decision.map { [.upheld, .corrected].contains($0.verdict) } == true)
        // Every trial still has exactly one result line; every result of gamma's was redone
        // (or corrected) by an honest worker, so the replayed journal holds honest results only.
        let results = Self.resultRecords(h.journal)
        #expect(results.count == 20 && Set(results.map(\.trial)).count == 20)
        let byGamma = results.filter { $0.worker == "gamma" }.map(\.trial)
        #expect(!byGamma.isEmpty)
        for trial in byGamma {
            #expect(checks.contains { $0.trial == trial && $0.verdict.replacesResult && $0.worker != "gamma" }, "\(trial.short)")
        }
        var replay = JournalReplay()
        for record in h.journal { replay.add(JournalEntry(time: nil, record: record)) }
        #expect(replay.results.count == 20 && replay.duplicates == 0)
        #expect(replay.results.values.allSatisfy { $0.worker != "gamma" && $0.digest == Self.honestDigest($0.trial) })
        #expect(replay.results.values.allSatisfy { $0.metrics.validationAccuracy == 0.5 })
        // Marked on the leaderboard.
        let board = Leaderboard(replay: replay)
        let markers = board.rows.compactMap(\.verification)
        #expect(board.rows.count == 20)
        #expect(markers.filter { $0 == "redone" || $0 == "corrected" }.count == byGamma.count, "\(markers)")
        #expect(board.rows.allSatisfy { $0.validationAccuracy == 0.5 })
        #expect(h.scheduler.summary.verification?.contains("faulty: gamma") == true)
    }

    @Test func aRestartedCoordinatorRebuildsTheSameLedgerFromItsJournalAndFinishesTheRedo() {
        let bad = SimWorker(id: WorkerID("c"), name: "gamma", faulty: true)
        let workers = [Self.honest[0], Self.honest[1], bad]
        // Run until gamma is found faulty, then "crash" with re-runs still owed.
        var h = Harness(Self.plan, policy: Self.policy())
        var n = 1
        while h.scheduler.ledger.faulty.isEmpty, n < 60 {
            h = Harness(Self.plan, policy: Self.policy())
            Self.drive(&h, workers, limit: n)
            n += 1
        }
        #expect(h.scheduler.ledger.faulty == ["gamma"])
        #expect(!h.scheduler.ledger.open.isEmpty, "redo still owed at the crash")
        let journal = h.journal
        let finished = Set(journal.compactMap(\.trialID))
        var restarted = Harness(Self.plan, finished: finished, policy: Self.policy(), journal: journal)
        _ = restarted.send(.start, at: 100)
        let before = h.scheduler.ledger, after = restarted.scheduler.ledger
        #expect(after.sampled == before.sampled)
        #expect(after.open == before.open)
        #expect(after.standing == before.standing)
        #expect(after.faulty == before.faulty)
        #expect(after.coveredWorkers == before.coveredWorkers)
        #expect(after.verdicts == before.verdicts)
        #expect(restarted.scheduler.quarantinedWorkers.map(\.name) == ["gamma"])
        // gamma comes back and is turned away; the honest workers finish the owed re-runs.
        let actions = Self.drive(&restarted, workers, from: 100)
        #expect(actions.contains { if case .quarantine(bad.id, _) = $0 { return true } else { return false } })
        #expect(restarted.scheduler.isFinished)
        #expect(restarted.scheduler.ledger.open.isEmpty)
        var replay = JournalReplay()
        for record in restarted.journal { replay.add(JournalEntry(time: nil, record: record)) }
        #expect(replay.results.count == 20 && replay.duplicates == 0)
        #expect(replay.results.values.allSatisfy { $0.worker != "gamma" && $0.digest == Self.honestDigest($0.trial) })
    }

    @Test func withTwoWorkersAMismatchStaysDisputedAndNobodyIsBlamed() {
        let bad = SimWorker(id: WorkerID("b"), name: "beta", faulty: true)
        var h = Harness(Self.plan, policy: Self.policy())
        Self.drive(&h, [Self.honest[0], bad])
        #expect(h.scheduler.isFinished)
        #expect(h.scheduler.summary.quarantined.isEmpty)
        let checks = Self.verifications(h.journal)
        #expect(checks.contains { $0.verdict == .mismatch })
        #expect(!checks.contains { $0.purpose == .arbitrate })
        var replay = JournalReplay()
        for record in h.journal { replay.add(JournalEntry(time: nil, record: record)) }
        #expect(Leaderboard(replay: replay).rows.contains { $0.verification == "disputed" })
        #expect(h.scheduler.summary.verification?.contains("not run: no eligible worker was connected") == true,
                "\(h.scheduler.summary.verification ?? "nil")")
    }

    @Test func offByDefaultNothingIsReRun() {
        var h = Harness(Self.plan)
        let actions = Self.drive(&h, Self.honest)
        #expect(h.scheduler.isFinished)
        #expect(actions.assigns.count == 20)
        #expect(Self.verifications(h.journal).isEmpty)
        #expect(h.scheduler.summary.verification == nil)
    }

    @Test func aWorkerLostDuringAReRunHandsItToAnotherEligibleWorker() {
        var h = Harness(Array(Self.plan.prefix(2)), policy: Self.policy(1))
        let a = WorkerID("a"), b = WorkerID("b"), c = WorkerID("c")
        var actions = h.send(.ready(a, hello("alpha")), at: 0)
        let first = actions.assigns.first!.1
        actions = h.send(.result(a, first, Self.result(first, by: Self.honest[0])), at: 1)
        let second = actions.assigns.first!.1
        // beta joins: the re-run of alpha's result goes to it, not to alpha.
        actions = h.send(.ready(b, hello("beta")), at: 1)
        #expect(actions.assigns.map(\.0) == [b] && actions.assigns.first?.1 == first)
        actions = h.send(.goodbye(b, abandoned: first), at: 2)
        actions += h.send(.ready(c, hello("gamma")), at: 2)
        #expect(actions.assigns.contains { $0.0 == c && $0.1 == first })
        _ = h.send(.result(c, first, Self.result(first, by: Self.honest[2])), at: 3)
        _ = h.send(.result(a, second, Self.result(second, by: Self.honest[0])), at: 3)
        #expect(Self.verifications(h.journal).first?.worker == "gamma")
    }
}
