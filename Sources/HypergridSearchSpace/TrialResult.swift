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

/// Metrics plus history: everything a worker sends back for a trial.
public struct TrialOutcome: Codable, Sendable, Equatable {
    public var metrics: TrialMetrics
    public var history: TrialHistory

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
