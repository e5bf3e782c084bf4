/// The rungs of a deterministic successive-halving search (`search: {kind: halving,
/// factor: 3, min_epochs: 1}` with `training.epochs: E`).
///
/// Rung `r` trains every surviving point for `min_epochs·factor^r` epochs, capped at `E`;
/// the rung that reaches `E` is the last. After each earlier rung the points are ranked by
/// mean validation accuracy over their repeats (a trial without one counts as 0), ties
/// broken by the smallest trial id, and the top `⌈n / factor⌉` continue from their
/// checkpoints. Nothing depends on timing or on the number of workers: a rung is ranked
/// only once every one of its trials is recorded.
public struct HalvingRungs: Sendable, Hashable {
    /// Each rung keeps the top 1/factor of its points (at least one); at least 2.
    public var factor: Int
    /// The first rung's budget in epochs.
    public var minEpochs: Int
    /// The last rung's budget: the grid's `training.epochs`, the length of the
    /// learning-rate schedule every rung trains a prefix of.
    public var maxEpochs: Int

    public init(factor: Int, minEpochs: Int, maxEpochs: Int) {
        self.factor = factor
        self.minEpochs = minEpochs
        self.maxEpochs = maxEpochs
    }

    /// Epoch budgets by rung: `min·factor^r` below `max`, then `max`.
    public var budgets: [Int] {
        var budgets: [Int] = []
        var budget = minEpochs
        while budget < maxEpochs {
            budgets.append(budget)
            // Overflow cannot happen before the budget passes `maxEpochs` (an Int).
            let (next, overflow) = budget.multipliedReportingOverflow(by: factor)
            budget = overflow ? maxEpochs : next
        }
        budgets.append(maxEpochs)
        return budgets
    }

    /// How many of `count` points survive a rung: `⌈count / factor⌉`, at least 1.
    public func survivors(of count: Int) -> Int {
        max(1, (count + factor - 1) / factor)
    }

    /// The surviving points of a rung, best first.
    ///
    /// - Parameter results: for each point of the rung, its trials' ids and validation
    ///   accuracies (nil for a trial that diverged or failed, counted as 0).
    public func select(_ results: [Int: [(trial: TrialID, accuracy: Double?)]]) -> [Int] {
        let ranked = Self.rank(results)
        return Array(ranked.prefix(survivors(of: ranked.count)))
    }

    /// Points best first: by mean validation accuracy over their trials (nil or non-finite
    /// counts as 0), ties by the smallest trial id, then by point index.
    public static func rank(_ results: [Int: [(trial: TrialID, accuracy: Double?)]]) -> [Int] {
        let scored = results.map { point, trials -> (point: Int, score: Double, tie: TrialID?) in
            let accuracies = trials.map { $0.accuracy.flatMap { $0.isFinite ? $0 : nil } ?? 0 }
            let score = accuracies.isEmpty ? 0 : accuracies.reduce(0, +) / Double(accuracies.count)
            return (point, score, trials.map(\.trial).min())
        }
        return scored.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            switch (a.tie, b.tie) {
            case let (x?, y?) where x != y: return x < y
            default: return a.point < b.point
            }
        }.map(\.point)
    }
}

extension GridSpec {
    /// The trials of halving rung `rung` for `points` (grid indices, any order): every
    /// repeat of each point, trained to the rung's budget. After the first rung each trial
    /// continues from the checkpoint of the same point and repeat one rung below; every
    /// rung but the last saves a checkpoint for the next.
    ///
    /// A trial's id hashes its budget (`stopAfterEpochs`) except on the last rung, whose
    /// trials are exactly the plain grid's trials: a halving run and a full grid run of the
    /// same grid share their finalists' ids and results.
    public func halvingRung(_ rung: Int, points: [Int], datasetFingerprint: String, shape: DatasetShape,
                            numericsVersion: String = HypergridVersion.numerics) -> [PlannedTrial] {
        guard case .halving(let rungs) = search.kind else { return [] }
        let budgets = rungs.budgets
        precondition(rung >= 0 && rung < budgets.count, "halving rung out of range")
        func configured(_ point: Int, _ repetition: Int, budget: Int?) -> TrialConfig {
            var config = axes.point(point, seed: search.seed &+ UInt64(repetition))
            config.length = .epochs(rungs.maxEpochs)
            config.stopAfterEpochs = budget.flatMap { $0 < rungs.maxEpochs ? $0 : nil }
            return config
        }
        var trials: [PlannedTrial] = []
        for point in points.sorted() {
            for repetition in 0..<search.repeats {
                let config = configured(point, repetition, budget: budgets[rung])
                var cost = config.estimatedCost(shape: shape)
                var parent: TrialID?
                if rung > 0 {
                    let previous = configured(point, repetition, budget: budgets[rung - 1])
                    parent = TrialID(config: previous, datasetFingerprint: datasetFingerprint,
                                     numericsVersion: numericsVersion)
                    // Only the epochs beyond the checkpoint are trained.
                    cost -= previous.estimatedCost(shape: shape)
                }
                trials.append(PlannedTrial(
                    id: TrialID(config: config, datasetFingerprint: datasetFingerprint,
                                numericsVersion: numericsVersion),
                    config: config, point: point, repetition: repetition, cost: cost,
                    rung: rung, resumeFrom: parent, saveCheckpoint: rung < budgets.count - 1))
            }
        }
        return trials
    }
}

extension GridSpec {
    /// The final refit of grid point `point` (`search.refit` must be set): its first seed,
    /// the full training length, and the refit's data. Its id differs from every searched
    /// trial's, since it hashes `refit`.
    public func refitTrial(point: Int, datasetFingerprint: String, shape: DatasetShape,
                           numericsVersion: String = HypergridVersion.numerics) -> PlannedTrial? {
        guard let data = search.refit else { return nil }
        var config = axes.point(point, seed: search.seed)
        if case .halving(let rungs) = search.kind { config.length = .epochs(rungs.maxEpochs) }
        config.refit = data
        return PlannedTrial(id: TrialID(config: config, datasetFingerprint: datasetFingerprint,
                                        numericsVersion: numericsVersion),
                            config: config, point: point, repetition: 0,
                            cost: config.estimatedCost(shape: shape))
    }
}

extension GridSpec {
    /// Whether some of the search is planned from results (halving rungs, a final refit).
    public var isStaged: Bool {
        if case .halving = search.kind { return true }
        return search.refit != nil
    }
}
