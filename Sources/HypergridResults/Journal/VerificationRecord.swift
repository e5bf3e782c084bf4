import HypergridSearchSpace

/// One re-run of a finished trial on another worker, and what it decided (issue 17 §3,
/// docs/fault-tolerance.md "Verified results"). A separate kind of journal line
/// (`"type": "verification"`), so that every trial still has exactly one `result` line:
/// the first result; a verification that finds it wrong *replaces* it in the replay
/// (``JournalReplay/results``) and on the leaderboard, never adds a second one.
public struct VerificationRecord: Codable, Sendable, Equatable {
    /// Why the trial was run again.
    public enum Purpose: String, Codable, Sendable {
        /// A sampled trial (or a worker's first), re-run on a worker other than the original's.
        case verify
        /// A trial whose verify run disagreed: a third worker decides by majority.
        case arbitrate
        /// A trial whose result came from a worker found faulty: run again elsewhere.
        case redo
    }

    /// What the run's digest decided, set by the coordinator before the line is written.
    public enum Verdict: String, Codable, Sendable {
        /// `verify`: the digests agree; the result is verified.
        case match
        /// `verify`: they differ; the trial is disputed until an `arbitrate` run.
        case mismatch
        /// `arbitrate`: the third digest agrees with the original result, which stands;
        /// the verify run's worker is faulty.
        case upheld
        /// `arbitrate`: the third digest agrees with the verify run; the original result is
        /// replaced by this run's outcome and its worker is faulty.
        case corrected
        /// `arbitrate`: all three differ; nobody is blamed and the trial stays disputed.
        case undecided
        /// `redo`: this run's outcome replaces the faulty worker's result.
        case redone

        /// Whether this run's outcome replaces the trial's result.
        public var replacesResult: Bool { self == .corrected || self == .redone }
    }

    public var trial: TrialID
    public var purpose: Purpose
    public var verdict: Verdict
    /// The worker that ran it, and the attempt number of its assignment.
    public var worker: String
    public var attempt: Int
    /// The worker judged faulty by an `arbitrate` verdict (`upheld`, `corrected`).
    public var faulty: String?
    /// This run's ``ResultDigest`` (nil only if the worker sent none).
    public var digest: String?
    public var metrics: TrialMetrics
    public var history: TrialHistory

    public init(trial: TrialID, purpose: Purpose, verdict: Verdict, worker: String, attempt: Int,
                faulty: String? = nil, outcome: TrialOutcome) {
        self.trial = trial
        self.purpose = purpose
        self.verdict = verdict
        self.worker = worker
        self.attempt = attempt
        self.faulty = faulty
        self.digest = outcome.digest
        self.metrics = outcome.metrics
        self.history = outcome.history
    }

    /// The leaderboard's `verified` marker after this record: `verified`, `disputed`,
    /// `corrected` or `redone`.
    public var marker: String {
        switch verdict {
        case .match, .upheld: return "verified"
        case .mismatch, .undecided: return "disputed"
        case .corrected: return "corrected"
        case .redone: return "redone"
        }
    }
}

extension TrialResultRecord {
    /// Takes the outcome and worker of a verification run that replaced this result; the
    /// attempt stays the original's (a verification run is not a lost attempt).
    public mutating func replace(by verification: VerificationRecord) {
        metrics = verification.metrics
        history = verification.history
        worker = verification.worker
        digest = verification.digest
    }
}
