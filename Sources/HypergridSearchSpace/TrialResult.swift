/// How a trial ended.
public enum TrialStatus: String, Codable, Sendable {
    /// Trained for its full length.
    case done
    /// The loss became NaN or infinite; training stopped early.
    case diverged
    /// It could not be trained (it kept killing workers, or an error); see the reason.
    case failed
}

/// Per-iteration and per-epoch curves of one trial.
public struct TrialHistory: Codable, Sendable, Equatable {
    /// The loss was recorded every `lossEvery` iterations, starting at iteration 0.
    public var lossEvery: Int
    public var loss: [Float]
    /// Accuracy on the last training minibatch of each epoch (as the seed).
    public var trainAccuracy: [Double]
    /// Validation accuracy at the end of each epoch.
    public var validationAccuracy: [Double]
    /// Regression only: validation RMSE (in the targets' units) at the end of each epoch, in
    /// place of accuracies (those arrays stay empty); nil for classification.
    public var validationRMSE: [Double]? = nil

    public init(lossEvery: Int = 1, loss: [Float] = [], trainAccuracy: [Double] = [],
                validationAccuracy: [Double] = []) {
        self.lossEvery = lossEvery
        self.loss = loss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
    }
}

/// What a finished trial reports.
public struct TrialMetrics: Codable, Sendable, Equatable {
    public var status: TrialStatus
    /// Accuracy over the whole training split (up to the first 10,000 rows, so that
    /// evaluation does not dominate short trials); `nil` if not evaluated.
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    public var testAccuracy: Double?
    public var finalLoss: Double?
    public var iterations: Int
    public var wallSeconds: Double
    public var samplesPerSecond: Double
    /// Why the trial failed or diverged, for people.
    public var reason: String?
    /// The iteration the trial continued from a checkpoint at (a halving rung after the
    /// first); nil when it trained from scratch. It trained `iterations − resumedAt` itself.
    public var resumedAt: Int? = nil
    /// Regression only (nil for classification, whose accuracies these replace): the errors
    /// on the training split (its first rows, as `trainAccuracy`), validation and test.
    public var trainRegression: RegressionMetrics? = nil
    public var validationRegression: RegressionMetrics? = nil
    public var testRegression: RegressionMetrics? = nil

    public init(status: TrialStatus, trainAccuracy: Double? = nil, validationAccuracy: Double? = nil,
                testAccuracy: Double? = nil, finalLoss: Double? = nil, iterations: Int = 0,
                wallSeconds: Double = 0, samplesPerSecond: Double = 0, reason: String? = nil) {
        self.status = status
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.testAccuracy = testAccuracy
        self.finalLoss = finalLoss
        self.iterations = iterations
        self.wallSeconds = wallSeconds
        self.samplesPerSecond = samplesPerSecond
        self.reason = reason
    }
}

/// How far a regression model's predictions are from the targets, in the targets' own units
/// (un-standardised), over every row and target column of a split.
public struct RegressionMetrics: Codable, Sendable, Equatable {
    /// Root mean squared error over all rows × target columns.
    public var rmse: Double
    /// Mean absolute error over all rows × target columns.
    public var mae: Double
    /// Coefficient of determination `1 − SS_res/SS_tot`, per target column then averaged
    /// (scikit-learn's `r2_score` default); 1 is perfect, 0 is predicting the mean.
    public var r2: Double

    public init(rmse: Double, mae: Double, r2: Double) {
        self.rmse = rmse
        self.mae = mae
        self.r2 = r2
    }
}

/// Metrics plus history: everything a worker sends back for a trial.
public struct TrialOutcome: Codable, Sendable, Equatable {
    public var metrics: TrialMetrics
    public var history: TrialHistory
    /// ``ResultDigest`` of the outcome and the final weights, in hex, when the assignment asked
    /// for one (a run with `search.verify`); nil otherwise. The outcome's own wire encoding
    /// does not carry it: a result frame does, after its other parts.
    public var digest: String? = nil

    public init(metrics: TrialMetrics, history: TrialHistory) {
        self.metrics = metrics
        self.history = history
    }
}

extension TrialMetrics {
    /// Minibatch samples this trial itself trained (not those of the checkpoint it
    /// continued from): the unit the halving-vs-grid compute comparison counts.
    public func samplesTrained(batchSize: Int) -> Int {
        max(iterations - (resumedAt ?? 0), 0) * batchSize
    }
}

extension TrialMetrics {
    /// Whether these are a regression trial's figures (RMSE, MAE, R²) rather than accuracies.
    public var isRegression: Bool {
        trainRegression != nil || validationRegression != nil || testRegression != nil
    }

    /// What searches rank trials by, higher is better: the validation accuracy, or for
    /// regression the validation RMSE negated (a lower RMSE ranks higher); nil when neither
    /// was measured. Halving, repeats (a mean of scores is the negated mean RMSE), the refit
    /// choice and the leaderboard all order by it.
    public var validationScore: Double? {
        if let regression = validationRegression { return -regression.rmse }
        return validationAccuracy
    }
}
