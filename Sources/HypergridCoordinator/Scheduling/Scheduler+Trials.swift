import HypergridResults
import HypergridSearchSpace
import Logging

extension Scheduler {
    // MARK: results

    mutating func receiveResult(_ id: WorkerID, _ trialID: TrialID, _ outcome: TrialOutcome,
                                _ out: inout [SchedulerAction]) {
        touch(id)
        let name = workerName(id)
        if let reason = haltReason {
            // No ack: the result is not durable, so the worker must keep it.
            out.append(.log(.warning, "result for \(trialID.short) from \(name) not recorded: the run halted (\(reason))"))
            return
        }
        if let run = checkRuns[trialID], run.worker == id {
            receiveCheck(id, trialID, run, outcome, &out)
            return
        }
        guard let trial = trials[trialID] else {
            // Acknowledged either way so that the worker stops resending: an ack only
            // promises that this coordinator needs nothing more from it.
            out.append(.ack(id, trialID))
            if skipped.contains(trialID) {
                out.append(.log(.info, "result for \(trialID.short) from \(name) ignored: the journal already had it"))
            } else {
                out.append(.log(.warning, "result for \(trialID.short) from \(name) ignored: not a trial of this run's plan"))
            }
            return
        }
        switch trial.state {
        case .done:
            out.append(.ack(id, trialID))
            out.append(.log(.info, "duplicate result for \(trialID.short) from \(name) acknowledged and ignored"))
            release(id, trialID)
        case .recording:
            // Same trial, record not yet durable: acknowledge together with the first.
            if ackWaiters[trialID]?.contains(id) != true { ackWaiters[trialID, default: []].append(id) }
            release(id, trialID)
            out.append(.log(.debug, "duplicate result for \(trialID.short) from \(name) will be acknowledged once recorded"))
        case .pending, .running:
            var attempt = trial.attemptOf[id] ?? max(trial.assignments, 1)
            switch trial.state {
            case .pending:
                // A late result from a worker presumed dead: its trial was requeued.
                removePending(trial.rank)
                out.append(.log(.info, "late result for requeued trial \(trialID.short) from \(name) recorded"))
            case .running(let runner, let runnerAttempt):
                if runner == id {
                    attempt = runnerAttempt
                } else {
                    // The requeued copy keeps running; its result will be acked and dropped.
                    out.append(.log(.info, "late result for \(trialID.short) from \(name) recorded; the copy on \(workerName(runner)) is now redundant"))
                }
            default: break
            }
            setState(trialID, .recording(outcome.metrics))
            if ledger.isEnabled { recordingFrom[trialID] = (name, outcome.digest) }
            countResult(from: name, outcome.metrics, &out)
            noteSpeed(of: name, cost: trial.planned.cost, outcome.metrics)
            ackWaiters[trialID] = [id]
            // Pipelining (see ``Scheduler``): free for its next trial now, acked once durable.
            release(id, trialID)
            let record = TrialResultRecord(trial: trial.planned, attempt: attempt, worker: name, outcome: outcome)
            out.append(.appendToJournal(.trialResult(record)))
        }
    }

    /// A result that is not recorded (the driver logged why). It is acknowledged all the
    /// same: an ack only says this coordinator needs nothing more of it, and an honest worker
    /// holding a result of an earlier run directory would otherwise resend it forever. If the
    /// sender is running that very trial, it answered the assignment with the kept result
    /// instead of training; having dropped the result on the ack, it now gets the assignment
    /// again and trains.
    mutating func rejectResult(_ id: WorkerID, _ trialID: TrialID, _ out: inout [SchedulerAction]) {
        touch(id)
        out.append(.ack(id, trialID))
        if case .running(id, let attempt)? = trials[trialID]?.state {
            out.append(.assign(id, trials[trialID]!.planned, attempt: attempt))
        }
    }

    mutating func journalAppended(_ trialID: TrialID, _ out: inout [SchedulerAction]) {
        guard case .recording(let metrics)? = trials[trialID]?.state else {
            out.append(.log(.warning, "journal confirmed \(trialID.short), which was not being recorded"))
            return
        }
        let status = metrics?.status ?? .failed
        setState(trialID, .done(status))
        if let from = recordingFrom.removeValue(forKey: trialID) {
            ledger.noteResult(trialID, cost: trials[trialID]!.planned.cost, worker: from.worker, digest: from.digest,
                              status: status)
        }
        finishedCount += 1
        switch status {
        case .done: doneCount += 1
        case .diverged: divergedCount += 1
        case .failed: failedCount += 1
        }
        if let metrics {
            // The score: the accuracy, or for regression the negated RMSE (higher is better).
            if let accuracy = metrics.validationScore, accuracy.isFinite,
               best == nil || accuracy > best!.accuracy || (accuracy == best!.accuracy && trialID < best!.trial) {
                best = (accuracy, trialID)
                bestIsRegression = metrics.isRegression
            }
            let cost = trials[trialID]!.planned.cost
            if status != .failed, cost > 0, cost.isFinite, metrics.wallSeconds > 0, metrics.wallSeconds.isFinite {
                measuredCost += cost
                measuredSeconds += metrics.wallSeconds
            }
        }
        for id in ackWaiters.removeValue(forKey: trialID) ?? [] { out.append(.ack(id, trialID)) }
        if stages != nil {
            let score = status == .failed ? nil : metrics?.validationScore
            enqueue(stages!.record(trialID, validationAccuracy: score))
            logStageDecisions(&out)
        }
    }

    // MARK: stages

    /// Adds a newly planned stage's trials: pending, after everything planned before them;
    /// those the journal already has count as skipped.
    mutating func enqueue(_ planned: [PlannedTrial]) {
        func key(_ t: PlannedTrial) -> Double { t.cost.isNaN ? -.infinity : t.cost }
        let fresh = planned.filter { trials[$0.id] == nil && !skipped.contains($0.id) }
            .sorted { key($0) != key($1) ? key($0) > key($1) : $0.id < $1.id }
        if ledger.isEnabled {
            let new = planned.filter { checkable[$0.id] == nil }
            for trial in new { checkable[trial.id] = trial }
            ledger.sample(new.map(\.id))
        }
        for trial in fresh {
            if stages?.recorded[trial.id] != nil {
                skipped.insert(trial.id)
                continue
            }
            let rank = order.count
            order.append(trial.id)
            trials[trial.id] = Trial(planned: trial, rank: rank)
            pendingCost += Self.statusCost(trial)
            insertPending(rank)
        }
    }

    mutating func logStageDecisions(_ out: inout [SchedulerAction]) {
        guard let decisions = stages?.decisions, decisions.count > loggedDecisions else { return }
        for line in decisions[loggedDecisions...] { out.append(.log(.notice, line)) }
        loggedDecisions = decisions.count
    }

    // MARK: trials

    /// A trial's worker was lost: requeue it, or give up after `maxAttempts` losses.
    mutating func loseTrial(_ trialID: TrialID, reason: String, _ out: inout [SchedulerAction]) {
        guard trials[trialID] != nil else { return }
        trials[trialID]!.losses.append(reason)
        let trial = trials[trialID]!
        if trial.losses.count >= policy.maxAttempts {
            let why = Self.summarize(trial.losses)
            setState(trialID, .recording(nil))
            out.append(.log(.error, "trial \(trialID.short) failed: \(why)"))
            out.append(.appendToJournal(.trialFailed(
                TrialFailedRecord(trial: trial.planned, attempts: trial.assignments, reason: why))))
        } else {
            setState(trialID, .pending)
            insertPending(trial.rank)
            out.append(.log(.warning, "trial \(trialID.short) requeued (\(reason); \(trial.losses.count) of \(policy.maxAttempts) allowed losses)"))
        }
    }

    /// `worker w1 went silent 3 times`, or the distinct reasons with their counts.
    static func summarize(_ losses: [String]) -> String {
        var counts: [(String, Int)] = []
        for loss in losses {
            if let i = counts.firstIndex(where: { $0.0 == loss }) { counts[i].1 += 1 } else { counts.append((loss, 1)) }
        }
        return counts.map { $0.1 == 1 ? $0.0 : "\($0.0) \($0.1) times" }.joined(separator: "; ")
    }

    /// Where `rank` is or belongs in the descending `pending`.
    func pendingIndex(_ rank: Int) -> Int {
        var low = 0, high = pending.count
        while low < high {
            let mid = (low + high) / 2
            if pending[mid] > rank { low = mid + 1 } else { high = mid }
        }
        return low
    }

    mutating func insertPending(_ rank: Int) {
        let i = pendingIndex(rank)
        if i < pending.count, pending[i] == rank { return }
        pending.insert(rank, at: i)
    }

    mutating func removePending(_ rank: Int) {
        let i = pendingIndex(rank)
        if i < pending.count, pending[i] == rank { pending.remove(at: i) }
    }

    /// Moves a trial to `state`, keeping the status tallies in step.
    mutating func setState(_ trialID: TrialID, _ state: TrialState) {
        // Fields read in place, not a copy of the trial (see nextProgressDeadline).
        let cost = Self.statusCost(cost: trials[trialID]!.planned.cost)
        switch trials[trialID]!.state {
        case .pending: pendingCost -= cost
        case .running: running[trialID] = nil
        case .recording: recordingCount -= 1
        case .done: break
        }
        switch state {
        case .pending: pendingCost += cost
        case .running(let worker, _):
            running[trialID] = RunningTrial(worker: worker, cost: trials[trialID]!.planned.cost, assignedAt: now)
        case .recording: recordingCount += 1
        case .done: break
        }
        trials[trialID]!.state = state
    }

    /// A trial's cost as the ETA counts it: a plan's estimate may be NaN or negative.
    static func statusCost(_ trial: PlannedTrial) -> Double { statusCost(cost: trial.cost) }

    static func statusCost(cost: Double) -> Double { cost.isFinite ? max(cost, 0) : 0 }

    mutating func dispatch(_ out: inout [SchedulerAction]) {
        guard haltReason == nil, !isFinished else { return }
        var waiting: [WorkerID] = []   // quarantined, told once their last ack is out; or nothing for them
        defer { idleQueue.insert(contentsOf: waiting, at: 0) }
        while !idleQueue.isEmpty, !pending.isEmpty || !ledger.open.isEmpty {
            let id = idleQueue.removeFirst()
            if isQuarantined(id) { waiting.append(id); continue }
            // Owed re-runs first (Scheduler+Verification): a faulty worker is found early.
            if assignCheck(to: id, &out) { continue }
            if pending.isEmpty { waiting.append(id); continue }
            let trialID = order[pending.removeLast()]
            trials[trialID]!.assignments += 1
            let attempt = trials[trialID]!.assignments
            trials[trialID]!.attemptOf[id] = attempt
            setState(trialID, .running(id, attempt: attempt))
            noteAssigned(trialID, to: id)
            out.append(.assign(id, trials[trialID]!.planned, attempt: attempt))
        }
    }

    // MARK: the end

    mutating func halt(because reason: String, _ out: inout [SchedulerAction]) {
        guard haltReason == nil else { return }
        haltReason = reason
        out.append(.log(.critical, "halting: \(reason); unfinished trials will run when the coordinator is restarted"))
        end(&out, shutdownWorkers: true)
    }

    mutating func finishIfDone(_ out: inout [SchedulerAction]) {
        guard !isFinished, haltReason == nil, finishedCount == trials.count, stages?.isComplete ?? true else { return }
        // Every trial is recorded: each worker not yet checked has its cheapest result verified.
        if ledger.isEnabled, ledger.commitCoverage() { dispatch(&out) }
        guard !verificationPending else { return }
        out.append(.log(.info, "all \(trials.count + skipped.count) trials finished"))
        end(&out, shutdownWorkers: !policy.keepAlive)
    }

    private mutating func end(_ out: inout [SchedulerAction], shutdownWorkers: Bool) {
        isFinished = true
        out.append(.finished(summary))
        guard shutdownWorkers else { return }
        for id in workers.keys.sorted() {
            out.append(.shutdown(id))
            forget(id)
        }
    }

    /// The tallies so far (final once ``isFinished``).
    public var summary: RunSummary {
        RunSummary(total: trials.count + skipped.count, skipped: skipped.count, done: doneCount,
                   diverged: divergedCount, failed: failedCount,
                   unfinished: trials.count - finishedCount, haltReason: haltReason,
                   elapsedSeconds: startedAt.map { now - $0 } ?? 0, quarantined: quarantinedWorkers,
                   verification: ledger.summaryLine(notRun: checksInFlight ? 0 : checksNobodyCanRun))
    }

    /// A snapshot for the progress line; it costs O(running trials), not O(plan).
    public var status: SchedulerStatus {
        // Subtractions may leave a rounding residue when nothing is pending.
        var remainingCost = pending.isEmpty ? 0 : max(pendingCost, 0)
        for trial in running.values { remainingCost += Self.statusCost(cost: trial.cost) * (1 - trial.progress) }
        var eta: Double?
        if measuredCost > 0, !workers.isEmpty {
            eta = remainingCost * (measuredSeconds / measuredCost) / Double(workers.count)
        }
        var status = SchedulerStatus(total: trials.count + skipped.count, finished: finishedCount + skipped.count,
                                     skipped: skipped.count, running: running.count, pending: pending.count,
                                     recording: recordingCount, failed: failedCount, diverged: divergedCount,
                                     workers: workers.count, bestValidationAccuracy: best?.accuracy,
                                     bestTrial: best?.trial, etaSeconds: eta)
        if let best, bestIsRegression { (status.bestValidationAccuracy, status.bestValidationRMSE) = (nil, -best.accuracy) }
        return status
    }
}
