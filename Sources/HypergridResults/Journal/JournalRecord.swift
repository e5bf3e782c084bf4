import Foundation
import HypergridSearchSpace

/// The first line a coordinator writes when it starts (or resumes) a run.
public struct RunStartedRecord: Codable, Sendable, Equatable {
    /// ``PlanDigest`` of the plan: tells runs of different grids apart in one journal.
    public var planDigest: String
    /// Trials in the plan, and how many of them the journal already had.
    public var trials: Int
    public var skipped: Int
    /// The coordinator's ``HypergridVersion/numerics`` and ``HypergridVersion/program``.
    public var numerics: String
    public var program: String

    public init(planDigest: String, trials: Int, skipped: Int,
                numerics: String = HypergridVersion.numerics,
                program: String = HypergridVersion.program) {
        self.planDigest = planDigest
        self.trials = trials
        self.skipped = skipped
        self.numerics = numerics
        self.program = program
    }
}

/// A trial a worker finished (done, diverged, or failed by the worker itself).
public struct TrialResultRecord: Codable, Sendable, Equatable {
    public var trial: TrialID
    public var config: TrialConfig
    public var point: Int
    public var repetition: Int
    /// The plan's cost estimate, kept so that a resumed run can estimate its ETA.
    public var cost: Double
    /// 1-based: which assignment of the trial produced this result.
    public var attempt: Int
    public var worker: String
    public var metrics: TrialMetrics
    public var history: TrialHistory
    /// The successive-halving rung the trial belonged to (absent outside halving).
    public var rung: Int?
    /// The worker's ``ResultDigest`` of the outcome, when the run verifies results
    /// (`search.verify`); absent otherwise, so such lines read as before.
    public var digest: String?

    public init(trial: PlannedTrial, attempt: Int, worker: String, outcome: TrialOutcome) {
        self.trial = trial.id
        self.rung = trial.rung
        self.config = trial.config
        self.point = trial.point
        self.repetition = trial.repetition
        self.cost = trial.cost
        self.attempt = attempt
        self.worker = worker
        self.metrics = outcome.metrics
        self.history = outcome.history
        self.digest = outcome.digest
    }
}

/// A trial the coordinator gave up on (it lost its worker ``SchedulerPolicy/maxAttempts`` times).
public struct TrialFailedRecord: Codable, Sendable, Equatable {
    public var trial: TrialID
    public var config: TrialConfig
    public var point: Int
    public var repetition: Int
    public var cost: Double
    public var attempts: Int
    public var reason: String

    public init(trial: PlannedTrial, attempts: Int, reason: String) {
        self.trial = trial.id
        self.config = trial.config
        self.point = trial.point
        self.repetition = trial.repetition
        self.cost = trial.cost
        self.attempts = attempts
        self.reason = reason
    }
}

/// One line of `journal.jsonl`.
///
/// On disk a record is a flat JSON object with a `"type"` of `run_started`, `result` or
/// `failed` next to the payload's fields, so that `jq` and Python read it without a schema.
public enum JournalRecord: Sendable, Equatable {
    case runStarted(RunStartedRecord)
    case trialResult(TrialResultRecord)
    case trialFailed(TrialFailedRecord)
    case workerQuarantined(WorkerQuarantinedRecord)
    /// A re-run of a finished trial on another worker (issue 17 §3): it never finishes a
    /// trial (``trialID`` is nil for it), it checks or replaces the trial's result.
    case verification(VerificationRecord)

    /// The trial the record finishes, if it is about one.
    public var trialID: TrialID? {
        switch self {
        case .runStarted, .workerQuarantined, .verification: return nil
        case .trialResult(let r): return r.trial
        case .trialFailed(let r): return r.trial
        }
    }
}

/// A record with the wall-clock time it was appended at.
public struct JournalEntry: Sendable, Equatable {
    /// Seconds since 1970; `nil` only for hand-written lines without a time.
    public var time: Double?
    public var record: JournalRecord

    public init(time: Double?, record: JournalRecord) {
        self.time = time
        self.record = record
    }
}

extension JournalEntry: Codable {
    private enum Kind: String, Codable { case runStarted = "run_started", result, failed, quarantined, verification }
    private enum Keys: String, CodingKey { case type, time }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        time = try container.decodeIfPresent(Double.self, forKey: .time)
        // The payload's fields sit beside "type" in the same object.
        switch try container.decode(Kind.self, forKey: .type) {
        case .runStarted: record = .runStarted(try RunStartedRecord(from: decoder))
        case .result: record = .trialResult(try TrialResultRecord(from: decoder))
        case .failed: record = .trialFailed(try TrialFailedRecord(from: decoder))
        case .quarantined: record = .workerQuarantined(try WorkerQuarantinedRecord(from: decoder))
        case .verification: record = .verification(try VerificationRecord(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch record {
        case .runStarted(let r): try r.encode(to: encoder)
        case .trialResult(let r): try r.encode(to: encoder)
        case .trialFailed(let r): try r.encode(to: encoder)
        case .workerQuarantined(let r): try r.encode(to: encoder)
        case .verification(let r): try r.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: Keys.self)
        let kind: Kind
        switch record {
        case .runStarted: kind = .runStarted
        case .trialResult: kind = .result
        case .trialFailed: kind = .failed
        case .workerQuarantined: kind = .quarantined
        case .verification: kind = .verification
        }
        try container.encode(kind, forKey: .type)
        try container.encodeIfPresent(time, forKey: .time)
    }
}

/// The JSON dialect of the journal: one line, sorted keys, and non-finite numbers as
/// strings — a diverged trial's loss is NaN or infinite, which plain JSON cannot hold.
enum JournalJSON {
    static let nonFinite = (positive: "Infinity", negative: "-Infinity", nan: "NaN")

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative,
            nan: nonFinite.nan)
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative,
            nan: nonFinite.nan)
        return decoder
    }
}
