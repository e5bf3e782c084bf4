import HypergridResults
import HypergridSearchSpace
import Logging

/// The coordinator's brain: a pure state machine that turns events into actions.
///
/// It does no I/O and reads no clock (the style of swift-async-algorithms' state machines):
/// the driver feeds it socket messages, journal confirmations and ticks, each with the
/// current ``Instant``, and performs the ``SchedulerAction``s it returns, in order.
///
/// Rules:
/// - Workers pull: an idle worker gets the pending trial with the largest cost estimate
///   (ties by trial id), so that the long trials do not all end up in the run's tail.
/// - Liveness is Paranoid Pirate's: every message from a worker refreshes it; a worker
///   silent for ``SchedulerPolicy/expiry`` seconds is forgotten and its trial requeued.
///   A forgotten worker that is in fact alive stops hearing heartbeats and reconnects.
/// - Exactly once: a trial is recorded by the first result that reaches the scheduler,
///   whoever sent it (a worker presumed dead may still deliver). Every later result for
///   it is acknowledged, so its sender stops resending, and dropped. Results are
///   acknowledged only after the journal has them (see ``SchedulerAction``).
/// - A trial whose workers were lost ``SchedulerPolicy/maxAttempts`` times is recorded as failed.
/// - Staged searches (``SearchStages``: successive-halving rungs, the final refit) add the
///   trials of a stage once every trial of the stage before is recorded, so what is planned
///   depends on the results alone, never on timing or on the number of workers.
/// - A worker that sends `ready` while we think it is running a trial has restarted and
///   lost that trial. Workers therefore send `ready` once per connection; the scheduler
///   assigns the next trial without being asked.
/// - Pipelining: a worker gets its next trial as soon as its result arrives, while the
///   result's record is still on its way to the journal. The worker holds (and resends)
///   the result until the ack, which still waits for the fsync, so nothing is lost if the
///   coordinator dies in between; but the fsync overlaps the next trial instead of
///   stalling the worker, and one fsync can cover the results of many workers.
public struct Scheduler: Sendable {
    /// The knobs it was made with.
    public let policy: SchedulerPolicy
    /// The latest instant seen; events with an earlier instant do not move it back.
    public private(set) var now: Instant
    /// True once ``SchedulerAction/finished(_:)`` has been emitted.
    public internal(set) var isFinished = false
    /// Why the run stopped early, once it has.
    public internal(set) var haltReason: String?
    /// Planned trials whose id repeated an earlier one and were dropped.
    public let duplicatesInPlan: Int

    enum TrialState: Equatable {
        case pending
        case running(WorkerID, attempt: Int)
        /// Its record is on its way to the journal; `nil` metrics for a trial the scheduler failed.
        case recording(TrialMetrics?)
        case done(TrialStatus)
    }

    struct Trial {
        var planned: PlannedTrial
        var rank: Int
        var state: TrialState = .pending
        var assignments = 0
        /// Why each lost attempt was lost, e.g. `worker w3 went silent`.
        var losses: [String] = []
        /// The attempt number each worker was given, to label late results.
        var attemptOf: [WorkerID: Int] = [:]
    }

    /// What the liveness checks and the status need of a running trial, apart from the
    /// trial: they look at every running trial after every event, and reading a `Trial`
    /// out of the dictionary copies its whole configuration (a retain per string and array).
    struct RunningTrial {
        let worker: WorkerID
        /// Its cost estimate (``PlannedTrial/cost``).
        let cost: Double
        /// When the attempt was assigned, and when its progress last advanced (nil until
        /// its worker's first progress report: data may still be loading).
        var assignedAt: Instant
        var lastAdvance: Instant?
        var progress = 0.0
    }

    struct Worker {
        var name: String
        var lastSeen: Instant
        var nextHeartbeat: Instant
        /// The trials and re-runs assigned to it and not answered, in assignment order: the
        /// first trains; the others wait on the worker (its prefetch) and start in turn.
        var held: [TrialID] = []
        /// How many it may hold: one, plus the prefetch its `ready` asked for.
        var capacity = 1
        var hasFreeSlot: Bool { held.count < capacity }
    }

    var trials: [TrialID: Trial] = [:]
    /// Trial ids in dispatch order: cost descending, then id (each stage of a staged
    /// search appended after the one before).
    var order: [TrialID]
    /// Ranks (indices into `order`) of pending trials, descending: the next trial to
    /// dispatch is the last element, so taking it is O(1) rather than a shift of the array.
    var pending: [Int]
    // What the status line needs, kept as trials change state (see `setState`), so that
    // the status is not a scan of every trial: the coordinator logs it with each result.
    /// Trials in `.running`, with their progress clocks.
    var running: [TrialID: RunningTrial] = [:]
    var recordingCount = 0
    /// The summed ``statusCost(_:)`` of pending trials.
    var pendingCost = 0.0
    var skipped: Set<TrialID>
    /// Halving rungs and the final refit, planned from results as stages complete.
    public internal(set) var stages: SearchStages?
    /// How many of the stages' decisions have been logged.
    var loggedDecisions = 0
    var workers: [WorkerID: Worker] = [:]
    /// Workers that may take another assignment (one held trial fewer than their capacity),
    /// longest waiting first.
    var idleQueue: [WorkerID] = []
    /// Who to acknowledge once a trial's record is durable.
    var ackWaiters: [TrialID: [WorkerID]] = [:]
    /// The name each worker last said `ready` with (refused workers too): the one map of
    /// names, also used by the server to label what a peer sent.
    var names: [WorkerID: String] = [:]
    var startedAt: Instant?
    // Tallies of durable records made by this run.
    var finishedCount = 0
    var doneCount = 0
    var divergedCount = 0
    var failedCount = 0
    /// The best score so far (``TrialMetrics/validationScore``: the accuracy, or the negated RMSE).
    var best: (accuracy: Double, trial: TrialID)?
    /// Whether the scores are negated RMSEs (a regression run).
    var bestIsRegression = false
    var measuredCost = 0.0
    var measuredSeconds = 0.0
    /// Summed cost estimates and wall seconds of each worker's results, by name: its
    /// measured speed, from which a trial's stall bound is derived (Scheduler+Progress).
    var speeds: [String: (cost: Double, seconds: Double)] = [:]
    /// Failed results in a row, by worker name (see Scheduler+Quarantine).
    var failureStreaks: [String: Int] = [:]
    /// Workers with at least one result that did not fail: a failure streak quarantines a
    /// worker only while another worker succeeds.
    var succeededWorkers = Set<String>()
    /// Workers that get no more work in this run, in the order they were quarantined.
    public internal(set) var quarantinedWorkers: [QuarantinedWorker] = []
    // Verified results (Scheduler+Verification).
    var ledger: VerificationLedger
    /// Every planned trial, the journal's too, when verification is on: re-runs need them.
    var checkable: [TrialID: PlannedTrial] = [:]
    var checkRuns: [TrialID: CheckRun] = [:]
    var checkAssignments: [TrialID: Int] = [:]
    /// Verification records on their way to the journal, and who to acknowledge then.
    var checkRecording: [TrialID: VerificationRecord] = [:]
    var checkAckWaiters: [TrialID: [WorkerID]] = [:]
    /// The worker and digest of each result on its way to the journal (for the ledger).
    var recordingFrom: [TrialID: (worker: String, digest: String?)] = [:]

    /// - Parameters:
    ///   - plan: the run's trials, in any order. Repeated ids are dropped (first kept).
    ///   - finished: ids the journal already has; those trials are not run again.
    ///   - start: the instant the scheduler is created at.
    ///   - stages: a staged search (halving, refit) whose later stages are planned as results
    ///     are recorded; `plan` is then its trials so far (``SearchStages/planned``).
    ///   - journal: the journal's records so far, in file order: with verification on, they
    ///     rebuild what was verified and which re-runs are still owed.
    public init(plan: [PlannedTrial], finished: Set<TrialID>, policy: SchedulerPolicy = SchedulerPolicy(),
                start: Instant = Instant(seconds: 0), stages: SearchStages? = nil, journal: [JournalRecord] = []) {
        self.stages = stages
        self.policy = policy
        self.now = start
        self.ledger = VerificationLedger(fraction: policy.verifyFraction, seed: policy.verifySeed)
        var unique: [PlannedTrial] = []
        var seen = Set<TrialID>()
        for trial in plan where seen.insert(trial.id).inserted { unique.append(trial) }
        duplicatesInPlan = plan.count - unique.count
        skipped = Set(unique.lazy.map(\.id).filter(finished.contains))
        // NaN costs sort last rather than poisoning the order.
        func key(_ t: PlannedTrial) -> Double { t.cost.isNaN ? -.infinity : t.cost }
        let toRun = unique.filter { !finished.contains($0.id) }
            .sorted { key($0) != key($1) ? key($0) > key($1) : $0.id < $1.id }
        order = toRun.map(\.id)
        pending = Array(toRun.indices.reversed())
        for (rank, trial) in toRun.enumerated() {
            trials[trial.id] = Trial(planned: trial, rank: rank)
            pendingCost += Self.statusCost(trial)
        }
        if ledger.isEnabled {
            for trial in unique { checkable[trial.id] = trial }
            ledger.sample(unique.map(\.id))
            replayVerification(journal)
        }
    }

    /// Applies one event that happened at `time` and returns what the driver must do.
    public mutating func handle(_ event: SchedulerEvent, at time: Instant) -> [SchedulerAction] {
        if time > now { now = time }
        if startedAt == nil { startedAt = now }
        var out: [SchedulerAction] = []
        switch event {
        case .start:
            var line = "plan: \(skipped.count + trials.count) trials, \(skipped.count) already in the journal, \(trials.count) to run"
            if duplicatesInPlan > 0 { line += " (\(duplicatesInPlan) repeated ids dropped)" }
            out.append(.log(.info, line))
            logStageDecisions(&out)
        case .ready(let id, let hello): workerReady(id, hello, &out)
        case .heartbeat(let id):
            if !touch(id) { out.append(.log(.debug, "heartbeat from unknown worker \(id) ignored; it will reconnect")) }
        case .progress(let id, let trialID, let fraction):
            touch(id)
            if running[trialID]?.worker == id, fraction.isFinite {
                let fraction = min(max(fraction, 0), 1)
                if running[trialID]!.lastAdvance == nil || fraction > running[trialID]!.progress {
                    running[trialID]!.lastAdvance = now
                }
                running[trialID]!.progress = fraction
            }
        case .result(let id, let trialID, let outcome): receiveResult(id, trialID, outcome, &out)
        case .rejectedResult(let id, let trialID): rejectResult(id, trialID, &out)
        case .quarantine(let id, let reason):
            touch(id)
            quarantine(name: workerName(id), reason: reason, &out)
        case .goodbye(let id, let abandoned): workerLeft(id, abandoned: abandoned, &out)
        case .journalAppended(let trialID): journalAppended(trialID, &out)
        case .verificationAppended(let trialID): verificationAppended(trialID, &out)
        case .journalFailed(let trialID, let message):
            let about = trialID.map { " (recording trial \($0.short))" } ?? ""
            halt(because: "the journal could not be written\(about): \(message)", &out)
        case .tick: break
        }
        expireSilentWorkers(&out)
        takeBackStalledTrials(&out)
        turnAwayQuarantined(&out)
        dispatch(&out)
        sendHeartbeats(&out)
        finishIfDone(&out)
        return out
    }

    /// The latest instant by which the driver must deliver a ``SchedulerEvent/tick``:
    /// the next heartbeat due or the next worker to expire. `nil` without workers.
    public var nextDeadline: Instant? {
        let liveness = workers.values.map { min($0.nextHeartbeat, $0.lastSeen + policy.expiry) }.min()
        guard let progress = nextProgressDeadline else { return liveness }
        return liveness.map { min($0, progress) } ?? progress
    }

    // MARK: workers

    /// Refreshes a known worker's liveness; false if the worker is unknown.
    @discardableResult
    mutating func touch(_ id: WorkerID) -> Bool {
        guard workers[id] != nil else { return false }
        workers[id]!.lastSeen = now
        return true
    }

    mutating func workerReady(_ id: WorkerID, _ hello: WorkerProfile, _ out: inout [SchedulerAction]) {
        names[id] = hello.name
        if haltReason != nil || (isFinished && !policy.keepAlive) {
            if workers[id] != nil { forget(id) }
            out.append(.shutdown(id))
            return
        }
        if hello.numerics != policy.numerics {
            if workers[id] != nil { lose(id, reason: "worker \(workerName(id)) restarted with other numerics", &out) }
            out.append(.refuse(id, reason: "numerics \(hello.numerics) differ from the coordinator's \(policy.numerics)"))
            out.append(.log(.warning, "refused worker \(hello.name) (\(id)): numerics \(hello.numerics), expected \(policy.numerics)"))
            return
        }
        if let reason = quarantineReason(of: hello.name) {
            // Back on a new connection, or restarted under the same name: still out.
            if workers[id] != nil { lose(id, reason: "worker \(hello.name) restarted while running it", &out) }
            out.append(.quarantine(id, reason: reason))
            out.append(.log(.info, "worker \(hello.name) (\(id)) is quarantined; turned away"))
            return
        }
        if let worker = workers[id] {
            workers[id]!.name = hello.name
            workers[id]!.lastSeen = now
            workers[id]!.capacity = 1 + hello.prefetch
            if !worker.held.isEmpty {
                dropCheckRuns(of: id, worker.held)
                takeBack(worker.held, from: id, lossReason: "worker \(hello.name) restarted while running it", &out)
            }
            makeIdle(id)
            out.append(.log(.info, "worker \(hello.name) (\(id)) is ready again"))
        } else {
            workers[id] = Worker(name: hello.name, lastSeen: now, nextHeartbeat: now + policy.heartbeatInterval,
                                 capacity: 1 + hello.prefetch)
            idleQueue.append(id)
            let caps = hello.capabilities.isEmpty ? "" : ", " + hello.capabilities.joined(separator: " ")
            out.append(.log(.info, "worker \(hello.name) (\(id)) joined (\(hello.numerics)\(caps))"))
        }
    }

    mutating func workerLeft(_ id: WorkerID, abandoned: TrialID?, _ out: inout [SchedulerAction]) {
        guard let worker = workers[id] else {
            out.append(.log(.debug, "goodbye from unknown worker \(id) ignored"))
            return
        }
        let training = worker.held.first
        if let abandoned, abandoned != training {
            out.append(.log(.warning, "worker \(worker.name) says it abandoned \(abandoned.short), but it was running \(training?.short ?? "nothing")"))
        }
        forget(id)
        dropCheckRuns(of: id, worker.held)
        // Handing trials back is not their fault: no loss is counted.
        let requeued = takeBack(worker.held, from: id, lossReason: nil, &out)
        if requeued.isEmpty {
            out.append(.log(.info, "worker \(worker.name) left"))
        } else {
            out.append(.log(.info, "worker \(worker.name) left; trial \(requeued.map(\.short).joined(separator: ", ")) requeued"))
        }
    }

    mutating func expireSilentWorkers(_ out: inout [SchedulerAction]) {
        // This runs after every event: look before building and sorting a list.
        guard workers.values.contains(where: { now - $0.lastSeen >= policy.expiry }) else { return }
        let silent = workers.filter { now - $0.value.lastSeen >= policy.expiry }.keys.sorted()
        for id in silent {
            let seconds = now - workers[id]!.lastSeen
            out.append(.log(.warning, "worker \(workerName(id)) silent for \(formatFixed(seconds, digits: 1))s; presumed dead"))
            lose(id, reason: "worker \(workerName(id)) went silent", &out)
        }
    }

    /// Forgets a worker that died or restarted; the trial it was training counts a loss, the
    /// ones waiting behind it there (prefetched, never started) are requeued without one.
    mutating func lose(_ id: WorkerID, reason: String, _ out: inout [SchedulerAction]) {
        guard let worker = workers[id] else { return }
        forget(id)
        dropCheckRuns(of: id, worker.held)
        takeBack(worker.held, from: id, lossReason: reason, &out)
    }

    /// Takes back the trials `id` held that it was still running: the first (the one it was
    /// training) counts a loss when `lossReason` is given; the others waited on the worker,
    /// never started, and are requeued without one. Returns the requeued trials.
    @discardableResult
    mutating func takeBack(_ held: [TrialID], from id: WorkerID, lossReason: String?,
                           _ out: inout [SchedulerAction]) -> [TrialID] {
        var requeued: [TrialID] = []
        for (i, trialID) in held.enumerated() {
            guard case .running(id, _)? = trials[trialID]?.state else { continue }
            if i == 0, let reason = lossReason {
                loseTrial(trialID, reason: reason, &out)
            } else {
                setState(trialID, .pending)
                insertPending(trials[trialID]!.rank)
                requeued.append(trialID)
            }
        }
        return requeued
    }

    /// Its acks still go out once their records are durable (``ackWaiters``): a worker
    /// presumed dead may be alive, and an ack only says that its result is safe.
    mutating func forget(_ id: WorkerID) {
        workers[id] = nil
        idleQueue.removeAll { $0 == id }
    }

    /// Empties a worker's hands (after its held trials were dealt with).
    mutating func makeIdle(_ id: WorkerID) {
        guard workers[id] != nil else { return }
        workers[id]!.held = []
        if !idleQueue.contains(id) { idleQueue.append(id) }
    }

    /// `trialID` was answered (or taken back) on `id`: it leaves the worker's hands, which
    /// may take another assignment; when it was the one training, the next one held starts
    /// now, and so does its attempt's clock (its wait on the worker is not its run time).
    mutating func release(_ id: WorkerID, _ trialID: TrialID) {
        guard let i = workers[id]?.held.firstIndex(of: trialID) else { return }
        workers[id]!.held.remove(at: i)
        if i == 0, let next = workers[id]!.held.first, running[next]?.worker == id {
            running[next]!.assignedAt = now
            running[next]!.lastAdvance = nil
        }
        if !idleQueue.contains(id) { idleQueue.append(id) }
    }

    /// Records an assignment to `id`, which stays among the workers to give work to while
    /// it has a free slot (it then comes after the others).
    mutating func noteAssigned(_ trialID: TrialID, to id: WorkerID) {
        workers[id]!.held.append(trialID)
        if workers[id]!.hasFreeSlot, !idleQueue.contains(id) { idleQueue.append(id) }
    }

    func workerName(_ id: WorkerID) -> String { workers[id]?.name ?? names[id] ?? id.description }

    mutating func sendHeartbeats(_ out: inout [SchedulerAction]) {
        guard workers.values.contains(where: { $0.nextHeartbeat <= now }) else { return }
        for id in workers.keys.sorted() where workers[id]!.nextHeartbeat <= now {
            out.append(.sendHeartbeat(id))
            // Keep the schedule's phase, but never send a burst to catch up after a late tick.
            var next = workers[id]!.nextHeartbeat + policy.heartbeatInterval
            if next <= now { next = now + policy.heartbeatInterval }
            workers[id]!.nextHeartbeat = next
        }
    }
}
