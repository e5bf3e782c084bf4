import HypergridResults
import HypergridSearchSpace
import Logging

/// Verified results (issue 17 §3). Results are bit-identical on every worker, so the
/// coordinator can check them: with ``SchedulerPolicy/verifyFraction`` above 0 it re-runs a
/// seeded sample of finished trials (and at least one result of every worker) on another
/// worker and compares the two workers' ``ResultDigest``s (history, metrics, final weights).
///
/// - A re-run is an extra assignment of the same trial id. Its result is journalled as a
///   `verification` record, never as a second `result`, so every trial keeps exactly one.
/// - Digests agree: the result is verified. They differ: the trial is disputed and a third
///   worker (neither of the two) runs it; the digest two of the three share wins. The
///   worker in the minority is faulty: it is quarantined (told, it exits 6), a `corrected`
///   verdict replaces the original result with the majority's, and every trial whose result
///   came from the faulty worker is redone on another worker and its result replaced.
/// - With two workers nobody can break a tie: the trial stays disputed (marked so on the
///   leaderboard) and nobody is quarantined. So does a trial whose three digests all differ.
/// - Re-runs take precedence over pending trials, so that a faulty worker is found early;
///   a run ends when every trial is finished and every owed re-run is done, or when no
///   connected worker may run the rest (they are counted as not run).
///
/// The owed re-runs are derived from the ``VerificationLedger``, which only journalled facts
/// feed: a restarted coordinator replays its journal into it and owes the same re-runs.
extension Scheduler {
    /// A re-run in flight.
    struct CheckRun: Equatable {
        var worker: WorkerID
        var purpose: VerificationRecord.Purpose
        var attempt: Int
    }

    /// Feeds the journal of earlier runs into the ledger (at start-up), and takes the workers
    /// it found faulty out of the run again (not journalled twice).
    mutating func replayVerification(_ journal: [JournalRecord]) {
        for record in journal {
            switch record {
            case .trialResult(let r) where checkable[r.trial] != nil:
                ledger.noteResult(r.trial, cost: r.cost, worker: r.worker, digest: r.digest, status: r.metrics.status)
            case .verification(let v):
                if let name = ledger.apply(v), quarantineReason(of: name) == nil {
                    quarantinedWorkers.append(QuarantinedWorker(name: name, reason: Self.faultReason(v)))
                }
            default: break
            }
        }
    }

    /// Why a worker found faulty by `record` is quarantined.
    static func faultReason(_ record: VerificationRecord) -> String {
        "its result for trial \(record.trial.short) disagreed with two other workers' (verified results)"
    }

    /// Whether any re-run is in flight or being journalled.
    var checksInFlight: Bool { !checkRuns.isEmpty || !checkRecording.isEmpty }

    /// The owed re-runs `name` may take now, the gravest first (redo, arbitrate, verify),
    /// then by trial id.
    func checkCandidate(for name: String) -> (TrialID, VerificationLedger.Job)? {
        var best: (TrialID, VerificationLedger.Job, Int)?
        for trial in ledger.open where checkRuns[trial] == nil && checkRecording[trial] == nil {
            guard let job = ledger.job(for: trial), !job.excluded.contains(name) else { continue }
            let priority = job.purpose == .redo ? 0 : job.purpose == .arbitrate ? 1 : 2
            if best == nil || priority < best!.2 || (priority == best!.2 && trial < best!.0) {
                best = (trial, job, priority)
            }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// Gives `id` an owed re-run if it may take one; false if there is none for it.
    mutating func assignCheck(to id: WorkerID, _ out: inout [SchedulerAction]) -> Bool {
        guard ledger.isEnabled, !ledger.open.isEmpty, let name = workers[id]?.name,
              let candidate = checkCandidate(for: name), let planned = checkable[candidate.0] else { return false }
        let (trialID, job) = candidate
        checkAssignments[trialID, default: 0] += 1
        let attempt = (trials[trialID]?.assignments ?? 1) + checkAssignments[trialID]!
        checkRuns[trialID] = CheckRun(worker: id, purpose: job.purpose, attempt: attempt)
        noteAssigned(trialID, to: id)
        let from = ledger.standingResult[trialID]?.worker ?? "?"
        let what: String
        switch job.purpose {
        case .verify: what = "verifying trial \(trialID.short) (its result came from \(from))"
        case .arbitrate: what = "trial \(trialID.short) is disputed between \(from) and \(ledger.disputes[trialID]?.worker ?? "?"); a third run decides"
        case .redo: what = "redoing trial \(trialID.short): its result came from faulty worker \(from)"
        }
        out.append(.log(.info, "\(what) on \(name)"))
        out.append(.assign(id, planned, attempt: attempt))
        return true
    }

    /// `id` dropped the re-run it was doing (it died, left, restarted or was quarantined):
    /// the re-run is owed again and goes to the next eligible worker.
    mutating func dropCheckRuns(of id: WorkerID, _ held: [TrialID]) {
        for trialID in held where checkRuns[trialID]?.worker == id { checkRuns[trialID] = nil }
    }

    /// The result of a re-run from the worker doing it: journalled with its verdict; the
    /// worker is free at once and acknowledged once the record is durable.
    mutating func receiveCheck(_ id: WorkerID, _ trialID: TrialID, _ run: CheckRun, _ outcome: TrialOutcome,
                               _ out: inout [SchedulerAction]) {
        checkRuns[trialID] = nil
        release(id, trialID)
        let (verdict, faulty) = ledger.verdict(for: trialID, purpose: run.purpose, digest: outcome.digest)
        let record = VerificationRecord(trial: trialID, purpose: run.purpose, verdict: verdict, worker: workerName(id),
                                        attempt: run.attempt, faulty: faulty, outcome: outcome)
        checkRecording[trialID] = record
        checkAckWaiters[trialID] = [id]
        out.append(.appendToJournal(.verification(record)))
    }

    /// A verification record is durable: the ledger takes it, a faulty worker is
    /// quarantined, a corrected result becomes the trial's, and the worker is acknowledged.
    mutating func verificationAppended(_ trialID: TrialID, _ out: inout [SchedulerAction]) {
        guard let record = checkRecording.removeValue(forKey: trialID) else {
            out.append(.log(.warning, "journal confirmed a verification of \(trialID.short), which was not being recorded"))
            return
        }
        let previous = ledger.standingResult[trialID]?.worker ?? "?"
        let faulty = ledger.apply(record)
        let short = trialID.short
        switch record.verdict {
        case .match: out.append(.log(.info, "trial \(short) verified: \(record.worker) agrees with \(previous)"))
        case .mismatch:
            out.append(.log(.warning, "trial \(short) disputed: the digest of \(record.worker) differs from that of \(previous); a third worker will decide"))
        case .upheld: out.append(.log(.warning, "trial \(short): a third worker, \(record.worker), agrees with \(previous); \(record.faulty ?? "?") was wrong"))
        case .corrected:
            out.append(.log(.warning, "trial \(short) corrected: \(record.worker) agrees with the verify run, not with \(record.faulty ?? "?"), whose result is replaced"))
        case .undecided:
            out.append(.log(.error, "trial \(short) stays disputed: three workers gave three different digests; nobody is quarantined"))
        case .redone: out.append(.log(.info, "trial \(short) redone on \(record.worker); its result replaces \(previous)'s"))
        }
        if record.verdict.replacesResult, let score = record.metrics.validationScore, score.isFinite,
           record.metrics.status != .failed, best == nil || score > best!.accuracy {
            best = (score, trialID)
            bestIsRegression = record.metrics.isRegression
        }
        if let faulty {
            quarantine(name: faulty, reason: Self.faultReason(record), &out)
            let owed = ledger.open.count
            out.append(.log(.warning, "every result of \(faulty) is redone elsewhere (\(owed) re-runs owed)"))
        }
        for id in checkAckWaiters.removeValue(forKey: trialID) ?? [] { out.append(.ack(id, trialID)) }
    }

    /// Owed re-runs that no connected worker outside quarantine may take; they keep the
    /// run from finishing only while some connected worker could.
    var checksNobodyCanRun: Int {
        let names = Set(workers.values.map(\.name)).filter { quarantineReason(of: $0) == nil }
        return ledger.open.filter { trial in
            guard let job = ledger.job(for: trial) else { return false }
            return names.isSubset(of: job.excluded)
        }.count
    }

    /// Whether verification still holds the run open.
    var verificationPending: Bool {
        guard ledger.isEnabled else { return false }
        return checksInFlight || ledger.open.count > checksNobodyCanRun
    }
}
