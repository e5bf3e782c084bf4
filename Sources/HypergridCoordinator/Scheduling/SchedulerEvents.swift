import HypergridResults
import HypergridSearchSpace
import Logging

/// Something that happened, fed to ``Scheduler/handle(_:at:)`` with the current instant.
public enum SchedulerEvent: Sendable, Equatable {
    /// The driver is starting; logs the plan's size and finishes at once if nothing is left.
    case start
    /// A worker connected (or reconnected) and wants work.
    case ready(WorkerID, WorkerProfile)
    /// A worker's heartbeat; every message from a known worker refreshes its liveness.
    case heartbeat(WorkerID)
    /// How far a worker is with a trial, as a fraction in 0...1 (used for the ETA).
    case progress(WorkerID, TrialID, fraction: Double)
    /// A worker finished a trial. Workers resend results until acknowledged.
    case result(WorkerID, TrialID, TrialOutcome)
    /// A worker sent a result that cannot be believed (it lacks its assignment's token);
    /// it is not recorded.
    case rejectedResult(WorkerID, TrialID)
    /// The driver found a worker's result impossible (numbers no trainer makes): the worker
    /// is quarantined for the rest of the run, after its result is recorded as it was reported.
    case quarantine(WorkerID, reason: String)
    /// A worker is leaving; it hands back the trial it was running, if any.
    case goodbye(WorkerID, abandoned: TrialID?)
    /// The driver appended the record about this trial to the journal and fsync'd it.
    case journalAppended(TrialID)
    /// The driver made a ``JournalRecord/verification(_:)`` record about this trial durable.
    case verificationAppended(TrialID)
    /// The journal could not take the record (disk full, read-only...): the run halts.
    case journalFailed(TrialID?, message: String)
    /// Time passed; the driver ticks at least as often as ``Scheduler/nextDeadline``.
    case tick
}

/// Something the driver must do, in the order the scheduler returned it.
///
/// The contract: the driver performs a batch's actions in order. For
/// ``appendToJournal(_:)`` it appends and fsyncs the record, then reports
/// ``SchedulerEvent/journalAppended(_:)`` or ``SchedulerEvent/journalFailed(_:message:)``;
/// the scheduler acknowledges a result to its worker only after the former, so that a
/// worker never forgets a result the coordinator has not made durable. The driver may
/// hold appends back and feed it other events meanwhile, to make several records durable
/// with one fsync (group commit): the scheduler keeps such trials in a recording state.
public enum SchedulerAction: Sendable, Equatable {
    /// Send this trial to the worker. `attempt` is 1-based.
    case assign(WorkerID, PlannedTrial, attempt: Int)
    /// Tell the worker its result for this trial is safe, so it stops resending it.
    case ack(WorkerID, TrialID)
    case sendHeartbeat(WorkerID)
    /// Turn a worker away; it should exit and not retry.
    case refuse(WorkerID, reason: String)
    /// Tell a worker to stop training this trial (it stalled or ran past the trial timeout):
    /// the trial was requeued and the worker forgotten; it rejoins with `ready` once its
    /// training thread has let go of the trial, or exits if it cannot.
    case abandon(WorkerID, TrialID)
    /// Tell a worker it is quarantined: it gets no more work in this run and should exit.
    case quarantine(WorkerID, reason: String)
    /// Tell a worker to exit: the run is over (or halted).
    case shutdown(WorkerID)
    /// Append and fsync this record, then report back (see the enum's contract).
    case appendToJournal(JournalRecord)
    case log(Logger.Level, String)
    /// Every trial is finished (or the run halted); emitted once.
    case finished(RunSummary)
}

/// How a run ended.
public struct RunSummary: Sendable, Equatable {
    /// Unique trials in the plan.
    public var total: Int
    /// Trials the journal already had when the scheduler started.
    public var skipped: Int
    /// Results recorded in this run, by the status the worker reported.
    public var done: Int
    public var diverged: Int
    /// Trials that failed: given up after lost workers, or reported failed by a worker.
    public var failed: Int
    /// Trials neither skipped nor recorded (only non-zero when the run halted).
    public var unfinished: Int
    /// Why the run stopped early (e.g. the journal could not be written); `nil` if it completed.
    public var haltReason: String?
    /// Seconds from the first event to the end.
    public var elapsedSeconds: Double
    /// Workers taken out of the run, in the order they were.
    public var quarantined: [QuarantinedWorker] = []
    /// With `search.verify`: what verification did, in one line; nil when it is off.
    public var verification: String? = nil
}

/// A worker that gets no more work in this run, and why.
public struct QuarantinedWorker: Sendable, Equatable {
    /// Its name as it introduced itself (workers are quarantined by name, so that a
    /// reconnection on a new socket does not bring it back).
    public var name: String
    /// One clause, e.g. `its last 3 trials failed (last: out of memory)`.
    public var reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// A snapshot for a progress line.
public struct SchedulerStatus: Sendable, Equatable {
    public var total: Int
    /// Finished trials, including skipped ones and failed ones.
    public var finished: Int
    public var skipped: Int
    public var running: Int
    public var pending: Int
    /// Results waiting for the journal's fsync.
    public var recording: Int
    public var failed: Int
    public var diverged: Int
    /// Connected workers, idle or busy.
    public var workers: Int
    public var bestValidationAccuracy: Double?
    /// Regression runs: the lowest validation RMSE so far (then `bestValidationAccuracy` is nil).
    public var bestValidationRMSE: Double? = nil
    public var bestTrial: TrialID?
    /// Seconds until the last trial should finish: the remaining cost (pending trials, plus
    /// the unfinished fraction of running ones) at the seconds-per-cost of this run's
    /// results, divided among the connected workers. `nil` before the first result.
    public var etaSeconds: Double?

    /// `12/40 done, 3 running, 25 pending, 1 failed, best val 0.5120, ETA 4m10s`.
    public var line: String {
        var parts = ["\(finished)/\(total) done", "\(running) running", "\(pending) pending"]
        if failed > 0 { parts.append("\(failed) failed") }
        if diverged > 0 { parts.append("\(diverged) diverged") }
        parts.append("\(workers) workers")
        if let best = bestValidationAccuracy {
            parts.append("best val " + formatFixed(best, digits: 4))
        }
        if let best = bestValidationRMSE { parts.append("best val RMSE " + formatFixed(best, digits: 4)) }
        if let eta = etaSeconds { parts.append("ETA " + formatDuration(eta)) }
        return parts.joined(separator: ", ")
    }
}
