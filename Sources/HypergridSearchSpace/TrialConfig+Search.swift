// The fields of TrialConfig that successive halving and the final refit add, and what
// follows from them. Kept apart from TrialConfig.swift so that the model and training
// hyperparameters stay in one place and these in another.

/// The data the final refit trains on.
public enum RefitData: String, Codable, Sendable, Hashable, CaseIterable {
    /// The training and validation splits together (the usual refit; validation accuracy
    /// is then not reported, since those rows were trained on).
    case trainValidation = "train+validation"
    /// The training split only (validation accuracy stays meaningful).
    case train
}

extension TrialConfig {
    /// The epochs this trial actually trains: `stopAfterEpochs` capped by the schedule's
    /// length, or nil when it trains to the end of `length`.
    public var budgetEpochs: Int? {
        guard let stop = stopAfterEpochs else { return nil }
        if case .epochs(let total) = length { return min(stop, total) }
        return stop
    }

    /// The iterations this trial trains for a training split of `trainRows` rows:
    /// `length`'s, or fewer with a halving budget.
    public func trainedIterations(trainRows: Int) -> Int {
        let total = length.iterationCount(trainRows: trainRows, batchSize: batchSize)
        guard let stop = stopAfterEpochs else { return total }
        return min(total, stop * max(trainRows / batchSize, 1))
    }

    /// The rows this trial trains on: the training split's, and the validation split's
    /// too for a refit on train+validation.
    public func trainingRows(in shape: DatasetShape) -> Int {
        refit == .trainValidation ? shape.trainRows + shape.validationRows : shape.trainRows
    }

    /// The same point without the search's additions: what the leaderboard groups repeats
    /// and rungs under.
    public var withoutSearchFields: TrialConfig {
        var c = self
        c.stopAfterEpochs = nil
        c.refit = nil
        return c
    }
}
