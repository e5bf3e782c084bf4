import HypergridSearchSpace

/// One grid point of the leaderboard: its hyperparameters and its repeats' metrics.
public struct LeaderboardRow: Sendable, Equatable {
    /// 1-based place: best mean validation accuracy first.
    public var rank: Int
    /// Mean validation accuracy over the repeats that have one (nil for regression).
    public var validationAccuracy: Double?
    /// Sample standard deviation (n − 1) of those (for regression, of the validation
    /// RMSEs); `nil` with fewer than two.
    public var validationStd: Double?
    /// How many repeats the mean is over.
    public var validationCount: Int
    /// Means over the repeats that report them.
    public var trainAccuracy: Double?
    public var testAccuracy: Double?
    public var finalLoss: Double?
    /// The worst of the repeats' statuses (failed, then diverged, then done), so that a
    /// point with an unstable repeat is flagged; ``validationCount`` says how many counted.
    public var status: TrialStatus

    /// The grid point: its hyperparameters as ``TrialField/all`` describes them. Its seed is
    /// 0 (see ``seed``); its `stopAfterEpochs` is the halving budget the metrics are at
    /// (``budgetEpochs``); its `refit` marks the final refit row. Values the leaderboard
    /// does not record (`lossEvery`, and `momentum` for optimizers without momentum) are
    /// at ``TrialConfig``'s defaults, so that a row read back from the CSV equals the row.
    public var config: TrialConfig
    /// The seed when the point has a single trial; `nil` for several repeats.
    public var seed: UInt64?
    /// Trials of this point: results and failures.
    public var repeats: Int
    /// Attempts of this point's trials that were lost (their worker died, went silent or
    /// restarted) before the attempt that finished them, as the journal numbers attempts:
    /// the sum of `attempt − 1` over results and `attempts − 1` over trials given up on.
    /// A late result from a worker presumed dead keeps its own, first, attempt number, and
    /// a resumed run numbers its attempts afresh.
    public var retries: Int
    /// Mean wall time of a trial, in seconds.
    public var wallSeconds: Double?
    /// Distinct names of the workers that ran the repeats, comma-separated.
    public var workers: String
    /// The point's trial ids, by repetition.
    public var trials: [TrialID]
    // Search columns (see Leaderboard+Search.swift), set after init.
    /// 95 % confidence interval of the mean validation accuracy (Student t over the
    /// repeats); nil with fewer than two.
    public var validationInterval: ClosedRange<Double>? = nil
    /// False when this row's interval overlaps another's among the top rows: the best
    /// rows cannot be told apart with this many repeats (rank 1 and every row it overlaps).
    /// Nil when there is no interval to compare.
    public var separable: Bool? = nil
    /// Successive halving: the epochs the metrics are at (the furthest rung the point
    /// reached); nil when the point trained its whole length.
    public var budgetEpochs: Int? {
        get { config.stopAfterEpochs }
        set { config.stopAfterEpochs = newValue }
    }
    /// Minibatch samples trained by all of this point's trials (rungs and repeats), not
    /// counting the part a trial continued from a checkpoint: the search's compute.
    public var samplesTrained: Int = 0
    /// The final refit row, with the data it was refitted on; nil for searched points.
    public var refit: RefitData? { config.refit }

    // Regression (nil for classification), set after init: means over the repeats, in the
    // targets' units. ``validationStd``, ``validationCount`` and ``validationInterval`` are
    // then those of the validation RMSEs.
    public var validationRMSE: Double? = nil
    public var validationMAE: Double? = nil
    public var validationR2: Double? = nil
    public var trainRMSE: Double? = nil
    /// The refit's test figures.
    public var testRMSE: Double? = nil
    public var testMAE: Double? = nil
    public var testR2: Double? = nil
    /// Runs with `search.verify` (issue 17 §3): `verified`, `disputed`, `corrected` or
    /// `redone` when a trial of the row was re-run on another worker (the gravest marker
    /// of its trials); nil when none was.
    public var verification: String? = nil

    /// What rows are ranked by, higher is better: the validation accuracy, or the validation
    /// RMSE negated (``TrialMetrics/validationScore``).
    public var score: Double? { validationAccuracy ?? validationRMSE.map { -$0 } }

    /// The model features that are on (`TrialConfig.featureSummary`), empty for none.
    public var features: String { config.featureSummary }

    public init(rank: Int, validationAccuracy: Double?, validationStd: Double?, validationCount: Int,
                trainAccuracy: Double?, testAccuracy: Double?, finalLoss: Double?, status: TrialStatus,
                config: TrialConfig, seed: UInt64?, repeats: Int, retries: Int = 0, wallSeconds: Double?,
                workers: String, trials: [TrialID]) {
        self.rank = rank
        self.validationAccuracy = validationAccuracy
        self.validationStd = validationStd
        self.validationCount = validationCount
        self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy
        self.finalLoss = finalLoss
        self.status = status
        self.config = Self.recorded(config)
        self.seed = seed
        self.repeats = repeats
        self.retries = retries
        self.wallSeconds = wallSeconds
        self.workers = workers
        self.trials = trials
    }

    /// `config` with what the leaderboard does not record at the defaults (see ``config``).
    static func recorded(_ config: TrialConfig) -> TrialConfig {
        var c = config.canonicalized
        let defaults = TrialConfig()
        c.seed = 0
        c.lossEvery = defaults.lossEvery
        if !c.usesMomentum { c.momentum = defaults.momentum }
        return c
    }
}

/// Results grouped by grid point and ranked; fed from the journal, one record at a time.
///
/// `leaderboard.csv` is a view of the journal, rewritten whole through ``DurableFile``
/// (temporary file, fsync, rename, fsync of the directory) by the one coordinator: a reader
/// sees the previous file or the complete new one, and it may lag the journal, never lead
/// it (docs/results-store.md).
///
/// A grid point is a configuration up to its seed, so that repeats aggregate even when
/// the journal holds several runs of differently ordered grids.
public struct Leaderboard: Sendable {
    struct Member {
        var trial: TrialID
        var repetition: Int
        var seed: UInt64
        var status: TrialStatus
        var metrics: TrialMetrics?
        var worker: String?
        /// Lost attempts before the one that finished the trial.
        var retries: Int
        /// The ``VerificationRecord/marker`` of its last verification run, if any.
        var verification: String? = nil
        /// The halving budget it trained to (`Int.max`: the whole length).
        var budget = Int.max
        var samples = 0
    }

    private var groups: [TrialConfig: [TrialID: Member]] = [:]
    private var seen = Set<TrialID>()
    /// The group each trial is in, for verification runs that mark or replace its result.
    private var pointOf: [TrialID: TrialConfig] = [:]

    public init() {}

    /// Everything a journal holds (each trial's first record, as the replay resolved it).
    public init(replay: JournalReplay) {
        for entry in replay.entries { add(entry.record) }
    }

    /// Adds a record; a second record about the same trial is ignored (first wins). A
    /// verification record marks its trial and, when its verdict replaces the result
    /// (`corrected`, `redone`), puts its metrics and worker in place of the first result's.
    public mutating func add(_ record: JournalRecord) {
        switch record {
        case .runStarted, .workerQuarantined: break
        case .verification(let v):
            guard let point = pointOf[v.trial], var member = groups[point]?[v.trial] else { return }
            member.verification = v.marker
            if v.verdict.replacesResult {
                member.metrics = v.metrics
                member.status = v.metrics.status
                member.worker = v.worker
                member.samples = v.metrics.samplesTrained(batchSize: point.batchSize)
            }
            groups[point]![v.trial] = member
        case .trialResult(let r):
            add(r.config, Member(trial: r.trial, repetition: r.repetition, seed: r.config.seed,
                                 status: r.metrics.status, metrics: r.metrics, worker: r.worker,
                                 retries: max(r.attempt - 1, 0)))
        case .trialFailed(let r):
            add(r.config, Member(trial: r.trial, repetition: r.repetition, seed: r.config.seed,
                                 status: .failed, metrics: nil, worker: nil, retries: max(r.attempts - 1, 0)))
        }
    }

    private mutating func add(_ config: TrialConfig, _ member: Member) {
        guard seen.insert(member.trial).inserted else { return }
        var member = member
        member.budget = config.stopAfterEpochs ?? Int.max
        member.samples = member.metrics?.samplesTrained(batchSize: config.batchSize) ?? 0
        // Rungs of a point aggregate into one row; a refit stays a row of its own.
        var point = config
        point.seed = 0
        point.stopAfterEpochs = nil
        groups[point, default: [:]][member.trial] = member
        pointOf[member.trial] = point
    }

    /// Trials on the board.
    public var trialCount: Int { seen.count }

    /// The ranked rows: best mean validation accuracy (lowest RMSE for regression) first,
    /// points without one last, ties by (smallest) trial id.
    public var rows: [LeaderboardRow] {
        var rows = groups.map { Self.row(point: $0.key, members: Array($0.value.values)) }
        rows.sort { a, b in
            // The refit first: it is the search's answer. Then the points that reached the
            // furthest halving rung (all points, without halving).
            if (a.refit != nil) != (b.refit != nil) { return a.refit != nil }
            let (budgetA, budgetB) = (a.budgetEpochs ?? Int.max, b.budgetEpochs ?? Int.max)
            if budgetA != budgetB { return budgetA > budgetB }
            switch (a.score, b.score) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.trials.min()! < b.trials.min()!
            }
        }
        for i in rows.indices { rows[i].rank = i + 1 }
        Self.markSeparability(&rows)
        return rows
    }

    static func row(point: TrialConfig, members all: [Member]) -> LeaderboardRow {
        // The metrics are those of the furthest rung; the compute is every rung's.
        let furthest = all.map(\.budget).max() ?? Int.max
        let unsorted = all.filter { $0.budget == furthest }
        let members = unsorted.sorted { ($0.repetition, $0.trial) < ($1.repetition, $1.trial) }
        let metrics = members.compactMap(\.metrics)
        // Regression rows summarise the validation RMSEs where classification rows summarise accuracies.
        let regression = metrics.contains { $0.isRegression }
        let validation = (regression ? metrics.compactMap { $0.validationRegression?.rmse }
                                     : metrics.compactMap(\.validationAccuracy)).filter(\.isFinite)
        let status: TrialStatus = members.contains { $0.status == .failed } ? .failed
            : members.contains { $0.status == .diverged } ? .diverged : .done
        var workers: [String] = []
        for name in members.compactMap(\.worker) where !workers.contains(name) { workers.append(name) }
        var config = point
        config.stopAfterEpochs = furthest == Int.max ? nil : furthest
        var row = LeaderboardRow(
            rank: 0, validationAccuracy: regression ? nil : mean(validation), validationStd: sampleStd(validation),
            validationCount: validation.count,
            trainAccuracy: mean(metrics.compactMap(\.trainAccuracy)),
            testAccuracy: mean(metrics.compactMap(\.testAccuracy)),
            finalLoss: mean(metrics.compactMap(\.finalLoss)), status: status, config: config,
            seed: members.count == 1 ? members[0].seed : nil, repeats: members.count,
            // Like the compute, the lost attempts of every rung.
            retries: all.reduce(0) { $0 + $1.retries },
            wallSeconds: mean(metrics.map(\.wallSeconds)), workers: workers.joined(separator: ", "),
            trials: members.map(\.trial))
        row.validationInterval = confidenceInterval95(validation)
        row.samplesTrained = all.reduce(0) { $0 + $1.samples }
        let markers = Set(all.compactMap(\.verification))
        row.verification = ["disputed", "corrected", "redone", "verified"].first(where: markers.contains)
        if regression {
            row.validationRMSE = mean(validation)
            row.validationMAE = mean(metrics.compactMap { $0.validationRegression?.mae })
            row.validationR2 = mean(metrics.compactMap { $0.validationRegression?.r2 })
            row.trainRMSE = mean(metrics.compactMap { $0.trainRegression?.rmse })
            row.testRMSE = mean(metrics.compactMap { $0.testRegression?.rmse })
            row.testMAE = mean(metrics.compactMap { $0.testRegression?.mae })
            row.testR2 = mean(metrics.compactMap { $0.testRegression?.r2 })
        }
        return row
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func sampleStd(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (squares / Double(values.count - 1)).squareRoot()
    }
}
