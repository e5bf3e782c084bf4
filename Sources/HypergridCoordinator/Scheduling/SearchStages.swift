import HypergridSearchSpace

/// The stages of a search that are planned from results: successive-halving rungs after
/// the first, and the final refit of the best point. Pure and deterministic: what it plans
/// is a function of the grid and the recorded results alone, so a restarted coordinator
/// that replays its journal rebuilds exactly the same rungs, and the survivors do not
/// depend on how many workers there were or in which order results arrived.
///
/// A stage is planned only once every trial of the one before it is recorded.
public struct SearchStages: Sendable {
    public let grid: GridSpec
    let fingerprint: String
    let shape: DatasetShape
    let numerics: String
    /// Validation score of every recorded trial, higher is better: the accuracy, or for
    /// regression the negated RMSE (``TrialMetrics/validationScore``); nil: it failed or diverged.
    private(set) var recorded: [TrialID: Double?] = [:]
    /// The stages planned so far, in order; the last is the one running.
    public private(set) var stages: [[PlannedTrial]] = []
    /// The trials of the last stage not recorded yet: checking it is O(1) per result, where
    /// scanning the stage (the whole grid, for the first) would be O(stage) per result.
    private var waiting: Set<TrialID> = []
    /// The next halving rung to plan, or nil when the rungs are done (or there are none).
    private var nextRung: Int?
    private var refitPlanned = false
    /// One line per stage decision, for the log (`rung 1 (3 epochs): keeping 6 of 18 points`).
    public private(set) var decisions: [String] = []

    /// - Parameters:
    ///   - recorded: validation accuracy of each trial the journal already has (nil for a
    ///     trial that failed or diverged).
    public init(grid: GridSpec, fingerprint: String, shape: DatasetShape,
                recorded: [TrialID: Double?] = [:], numerics: String = HypergridVersion.numerics) {
        self.grid = grid
        self.fingerprint = fingerprint
        self.shape = shape
        self.numerics = numerics
        self.recorded = recorded
        appendStage(grid.plan(datasetFingerprint: fingerprint, shape: shape, numericsVersion: numerics))
        if case .halving = grid.search.kind { nextRung = 1 }
        _ = advance()
    }

    /// Every trial planned so far.
    public var planned: [PlannedTrial] { stages.flatMap { $0 } }

    /// True when nothing more will be planned and every planned trial is recorded.
    public var isComplete: Bool {
        nextRung == nil && (grid.search.refit == nil || refitPlanned) && waiting.isEmpty
    }

    /// The final refit trial, once planned.
    public var refitTrial: PlannedTrial? { refitPlanned ? stages.last?.first : nil }

    /// Notes a recorded result; returns the trials of any stage this completes the
    /// prerequisites of (possibly several stages, when later ones were recorded already).
    public mutating func record(_ trial: TrialID, validationAccuracy: Double?) -> [PlannedTrial] {
        if recorded[trial] == nil {
            recorded[trial] = .some(validationAccuracy)
            waiting.remove(trial)
        }
        return advance()
    }

    private mutating func appendStage(_ trials: [PlannedTrial]) {
        stages.append(trials)
        waiting = Set(trials.map(\.id).filter { recorded[$0] == nil })
    }

    /// Plans every stage whose predecessor is fully recorded; returns the new trials.
    private mutating func advance() -> [PlannedTrial] {
        var added: [PlannedTrial] = []
        while waiting.isEmpty {
            let last = stages[stages.count - 1]
            if let rung = nextRung, case .halving(let rungs) = grid.search.kind {
                let survivors = rungs.select(byPoint(last))
                let budgets = rungs.budgets
                decisions.append("rung \(rung - 1) (\(budgets[rung - 1]) epochs) done: \(survivors.count) of \(Set(last.map(\.point)).count) points continue to rung \(rung) (\(budgets[rung]) epochs)")
                let next = grid.halvingRung(rung, points: survivors, datasetFingerprint: fingerprint,
                                            shape: shape, numericsVersion: numerics)
                nextRung = rung + 1 < budgets.count ? rung + 1 : nil
                appendStage(next)
                added += next
            } else if grid.search.refit != nil, !refitPlanned {
                // The best point of the finished search: the last rung's best for halving, the
                // best mean validation accuracy over all points for a grid or random search.
                guard let best = HalvingRungs.rank(byPoint(last)).first,
                      let refit = grid.refitTrial(point: best, datasetFingerprint: fingerprint, shape: shape,
                                                  numericsVersion: numerics) else { return added }
                decisions.append("search done: refitting point \(best) (\(refit.config.fieldSummary)) on \(refit.config.refit!.rawValue)")
                refitPlanned = true
                appendStage([refit])
                added.append(refit)
            } else {
                break
            }
        }
        return added
    }

    private func byPoint(_ trials: [PlannedTrial]) -> [Int: [(trial: TrialID, accuracy: Double?)]] {
        var results: [Int: [(trial: TrialID, accuracy: Double?)]] = [:]
        for t in trials { results[t.point, default: []].append((t.id, recorded[t.id] ?? nil)) }
        return results
    }
}
