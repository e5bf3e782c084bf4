import HypergridPrimitives
import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// A fleet of simulated workers that misbehave at random: they crash, go silent and
/// deliver late, restart mid-trial, leave, resend results, and their messages arrive late
/// and out of order; the journal confirms appends late too. Some workers prefetch: they
/// hold up to two more assignments, which they train in turn.
struct FleetSimulation {
    enum Health { case alive, zombie(reconnectAt: Double), crashed }
    struct SimWorker {
        var id: WorkerID
        var name: String
        var health: Health = .alive
        var job: (trial: TrialID, doneAt: Double)?
        /// Assignments held behind `job` (prefetch), each with its training time.
        var queue: [(trial: TrialID, duration: Double)] = []
        var prefetch = 0
        var unacked: [TrialID: TrialOutcome] = [:]
        var lastResend = 0.0
        /// When the coordinator last said anything to it (Paranoid Pirate's worker liveness).
        var lastHeard: Double
    }

    var rng: SplitMix64
    var scheduler: Scheduler
    let plan: [PlannedTrial]
    let skipped: Set<TrialID>
    var now = 0.0
    var workers: [SimWorker] = []
    var inFlight: [(deliverAt: Double, event: SchedulerEvent)] = []
    var unconfirmed: [TrialID] = []
    var nextWorker = 0
    // What the invariants are checked against.
    var journaled: [TrialID: Int] = [:]
    var durable = Set<TrialID>()
    var summaries: [RunSummary] = []
    var violations: [String] = []
    /// How often the interesting paths ran, so that the property cannot hold vacuously.
    var seen: [String: Int] = [:]

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let count = Int.random(in: 1...14, using: &rng)
        let plan = (0..<count).map { trial(seed &* 1000 &+ UInt64($0), cost: Double(Int.random(in: 1...6, using: &rng))) }
        let skipped = Set(plan.filter { _ in rng.chance(0.15) }.map(\.id))
        self.rng = rng
        self.plan = plan
        self.skipped = skipped
        scheduler = Scheduler(plan: plan, finished: skipped,
                              policy: SchedulerPolicy(heartbeatInterval: 1, liveness: 3, maxAttempts: 3))
    }

    mutating func deliver(_ event: SchedulerEvent) {
        let actions = scheduler.handle(event, at: Instant(seconds: now))
        checkStatusTallies()
        for action in actions { perform(action) }
    }

    /// The status the scheduler keeps up as trials change state must be what a scan of
    /// every trial finds, and the pending queue must hold exactly the pending trials.
    mutating func checkStatusTallies() {
        var running = 0, recording = 0, remaining = 0.0
        var pendingRanks: [Int] = []
        for (id, trial) in scheduler.trials {
            switch trial.state {
            case .pending: pendingRanks.append(trial.rank); remaining += trial.planned.cost
            case .running(let worker, _):
                // The running table has exactly the running trials, on their workers.
                guard let clock = scheduler.running[id], clock.worker == worker, clock.cost == trial.planned.cost else {
                    violations.append("running trial \(id.short) is not in the running table as run by its worker")
                    continue
                }
                running += 1
                remaining += trial.planned.cost * (1 - clock.progress)
            case .recording: recording += 1
            case .done: break
            }
        }
        for (id, worker) in scheduler.workers {
            if worker.held.count > worker.capacity {
                violations.append("\(id) holds \(worker.held.count) trials, its capacity is \(worker.capacity)")
            }
            if worker.hasFreeSlot != scheduler.idleQueue.contains(id) {
                violations.append("\(id) has \(worker.hasFreeSlot ? "a free slot but is not" : "no free slot but is") among the workers to give work to")
            }
        }
        for (id, trial) in scheduler.trials {
            if case .running(let worker, _) = trial.state, scheduler.workers[worker]?.held.contains(id) != true {
                violations.append("\(id.short) runs on \(worker), which does not hold it")
            }
        }
        if Set(scheduler.idleQueue).count != scheduler.idleQueue.count {
            violations.append("a worker is twice among the workers to give work to")
        }
        if scheduler.running.count != running {
            violations.append("the running table has \(scheduler.running.count) trials, a scan finds \(running) running")
        }
        let status = scheduler.status
        if status.running != running || status.recording != recording || status.pending != pendingRanks.count {
            violations.append("status \(status.running)/\(status.recording)/\(status.pending) running/recording/pending, a scan finds \(running)/\(recording)/\(pendingRanks.count)")
        }
        if scheduler.pending != pendingRanks.sorted(by: >) {
            violations.append("the pending queue \(scheduler.pending) is not the pending trials' ranks in descending order")
        }
        if scheduler.measuredCost > 0, !scheduler.workers.isEmpty, let eta = status.etaSeconds {
            let expected = remaining * (scheduler.measuredSeconds / scheduler.measuredCost) / Double(scheduler.workers.count)
            if abs(eta - expected) > 1e-9 * max(1, expected) { violations.append("ETA \(eta), a scan gives \(expected)") }
        }
    }

    mutating func perform(_ action: SchedulerAction) {
        switch action {
        case .appendToJournal(let record):
            let id = record.trialID!
            journaled[id, default: 0] += 1
            if journaled[id]! > 1 { violations.append("\(id.short) journaled twice") }
            if skipped.contains(id) { violations.append("\(id.short) was already in the journal") }
            unconfirmed.append(id)
        case .ack(let w, let t):
            if !durable.contains(t) && !skipped.contains(t) && plan.contains(where: { $0.id == t }) {
                violations.append("ack for \(t.short) before its record was durable")
            }
            if let i = workers.firstIndex(where: { $0.id == w }) { workers[i].unacked[t] = nil; workers[i].lastHeard = now }
        case .assign(let w, let t, _):
            if durable.contains(t.id) || skipped.contains(t.id) { violations.append("assigned finished \(t.id.short)") }
            guard let i = workers.firstIndex(where: { $0.id == w }) else { return }
            workers[i].lastHeard = now
            if case .alive = workers[i].health {
                let duration = Double.random(in: 0.2...4, using: &rng)
                if workers[i].job == nil { workers[i].job = (t.id, now + duration) }
                else if workers[i].job!.trial != t.id, !workers[i].queue.contains(where: { $0.trial == t.id }) {
                    // As a real worker does: what comes while it trains waits its turn. Its
                    // queue may outgrow its prefetch only when its restart's `ready` was
                    // overtaken by an assignment (the scheduler's own count is checked).
                    workers[i].queue.append((t.id, duration))
                }
            }
        case .shutdown(let w):
            workers.removeAll { $0.id == w }
        case .finished(let summary):
            summaries.append(summary)
        case .sendHeartbeat(let w):
            if let i = workers.firstIndex(where: { $0.id == w }) { workers[i].lastHeard = now }
        case .log(_, let message):
            for key in ["requeued", "presumed dead", "late result", "duplicate result", "failed:"]
            where message.contains(key) { seen[key, default: 0] += 1 }
        case .refuse, .quarantine, .abandon:
            break
        }
    }

    mutating func send(_ event: SchedulerEvent) {
        // Up to 1.5 s of network delay; events from one worker may overtake each other.
        inFlight.append((now + Double.random(in: 0...1.5, using: &rng), event))
    }

    mutating func join(carrying unacked: [TrialID: TrialOutcome] = [:]) {
        nextWorker += 1
        var worker = SimWorker(id: WorkerID("w\(nextWorker)"), name: "host\(nextWorker % 3)", lastHeard: now)
        worker.unacked = unacked
        worker.prefetch = rng.chance(0.5) ? Int.random(in: 1...2, using: &rng) : 0
        workers.append(worker)
        send(.ready(worker.id, hello(worker.name, prefetch: worker.prefetch)))
    }

    mutating func step() {
        now += Double.random(in: 0.05...0.6, using: &rng)
        let alive = workers.filter { if case .alive = $0.health { return true } else { return false } }.count
        if alive < 3 && rng.chance(0.3) { join() }
        for i in workers.indices {
            var w = workers[i]
            switch w.health {
            case .crashed: continue
            case .zombie(let reconnectAt):
                // Cut off by a partition, but still training: its result gets through when
                // the partition heals, typically after it was presumed dead; then it reconnects anew.
                if let job = w.job, job.doneAt <= now {
                    inFlight.append((max(now, reconnectAt), .result(w.id, job.trial, outcome(Double.random(in: 0...1, using: &rng)))))
                    w.job = nil
                }
                if now >= reconnectAt { w.health = .crashed; workers[i] = w; join(); continue }
            case .alive:
                if now - w.lastHeard > 4 {
                    // The coordinator forgot it (its messages were too late): reconnect with a
                    // new socket and identity, keeping the results not yet acknowledged.
                    w.health = .crashed; workers[i] = w; join(carrying: w.unacked); continue
                }
                if rng.chance(0.01) { w.health = .crashed; workers[i] = w; continue }
                if rng.chance(0.01) { w.health = .zombie(reconnectAt: now + Double.random(in: 2...10, using: &rng)) }
                if rng.chance(0.005) {
                    send(.goodbye(w.id, abandoned: w.job?.trial))
                    w.health = .crashed; workers[i] = w; continue
                }
                if rng.chance(0.005) { w.job = nil; w.queue = []; send(.ready(w.id, hello(w.name, prefetch: w.prefetch))) } // restarted
                if rng.chance(0.7) { send(.heartbeat(w.id)) }
                if let job = w.job, rng.chance(0.3) {
                    send(.progress(w.id, job.trial, fraction: Double.random(in: 0...1, using: &rng)))
                }
                if let job = w.job, job.doneAt <= now {
                    let status: TrialStatus = rng.chance(0.1) ? .diverged : .done
                    w.unacked[job.trial] = outcome(Double.random(in: 0...1, using: &rng), status: status)
                    w.job = nil
                    if !w.queue.isEmpty {
                        let next = w.queue.removeFirst()
                        w.job = (next.trial, now + next.duration)
                        seen["started a prefetched trial", default: 0] += 1
                    }
                    w.lastResend = -1
                }
                if now - w.lastResend > 1 {
                    for (t, o) in w.unacked { send(.result(w.id, t, o)); if rng.chance(0.3) { send(.result(w.id, t, o)) } }
                    w.lastResend = now
                }
            }
            workers[i] = w
        }
        // Deliver what has arrived, in arrival order (stable for equal times).
        let due = inFlight.enumerated().filter { $0.element.deliverAt <= now }
            .sorted { ($0.element.deliverAt, $0.offset) < ($1.element.deliverAt, $1.offset) }
        inFlight.removeAll { $0.deliverAt <= now }
        for (_, message) in due { deliver(message.event) }
        // The journal confirms some appends now, in order, others later.
        while !unconfirmed.isEmpty && rng.chance(0.6) {
            let id = unconfirmed.removeFirst()
            durable.insert(id)
            deliver(.journalAppended(id))
        }
        deliver(.tick)
    }
}

@Suite struct SchedulerPropertyTests {
    @Test(arguments: 0..<4)
    func everyTrialEndsExactlyOnce(block: Int) {
        var seen: [String: Int] = [:]
        for seed in UInt64(block * 50)..<UInt64(block * 50 + 50) {
            var sim = FleetSimulation(seed: seed)
            sim.deliver(.start)
            var steps = 0
            while sim.summaries.isEmpty && steps < 20_000 {
                sim.step()
                steps += 1
            }
            let toRun = Set(sim.plan.map(\.id)).subtracting(sim.skipped)
            #expect(sim.violations.isEmpty, "seed \(seed): \(sim.violations.prefix(3))")
            #expect(sim.summaries.count == 1, "seed \(seed): finished \(sim.summaries.count) times after \(steps) steps")
            #expect(Set(sim.journaled.keys) == toRun, "seed \(seed): journaled \(sim.journaled.count) of \(toRun.count)")
            #expect(sim.journaled.values.allSatisfy { $0 == 1 }, "seed \(seed)")
            if let s = sim.summaries.first {
                #expect(s.done + s.diverged + s.failed == toRun.count && s.unfinished == 0, "seed \(seed): \(s)")
            }
            // Keep running a while after the end: nothing more may be recorded or assigned.
            for _ in 0..<50 { sim.step() }
            #expect(sim.violations.isEmpty && sim.summaries.count == 1, "seed \(seed) after the end")
            seen.merge(sim.seen, uniquingKeysWith: +)
        }
        for key in ["requeued", "presumed dead", "late result", "duplicate result", "failed:", "started a prefetched trial"] {
            #expect(seen[key, default: 0] > 0, "no '\(key)' in 50 seeds: \(seen)")
        }
    }
}
