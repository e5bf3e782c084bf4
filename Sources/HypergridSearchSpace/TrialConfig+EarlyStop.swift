/// Early stopping (`training.early_stop: N`, `training.early_stop_tol: x`): the rule that the
/// trainer applies at the end of every epoch, as a pure value so that it is tested on its own
/// and gives the same decision wherever the same metrics are observed.
///
/// What is watched is the trial's validation metric, the figure the search ranks by
/// (accuracy, higher is better; RMSE for regression, lower is better), not the loss: it is
/// what the trial is judged on, it is measured after every epoch anyway, and it is a pure
/// function of the weights (the same on every thread count), whereas the training loss is
/// one minibatch's and noisy. An epoch *improves* when its metric beats the best so far by
/// more than the tolerance; after `patience` epochs in a row without improvement training
/// stops. The weights of the best epoch are kept (restored at the end), so the reported
/// metrics, a kept model and its ONNX export all come from those weights.
public struct EarlyStopping: Sendable, Hashable {
    /// Epochs in a row without improvement after which training stops (at least 1).
    public let patience: Int
    /// The margin by which a metric must beat the best so far to count (0: any improvement).
    public let tolerance: Double
    /// RMSE: lower is better; accuracy: higher is better.
    public let lowerIsBetter: Bool
    /// The best metric so far, and the epoch (from 1) that measured it; nil before any.
    public private(set) var best: Double?
    public private(set) var bestEpoch: Int = 0
    /// Epochs observed since the best one.
    public private(set) var epochsWithoutImprovement = 0

    public init(patience: Int, tolerance: Double = 0, lowerIsBetter: Bool) {
        self.patience = patience
        self.tolerance = tolerance
        self.lowerIsBetter = lowerIsBetter
    }

    /// Records epoch `epoch`'s metric; true when it is the new best (keep its weights).
    /// A NaN metric never improves.
    public mutating func observe(_ value: Double, epoch: Int) -> Bool {
        let improved: Bool
        if let best {
            improved = lowerIsBetter ? value < best - tolerance : value > best + tolerance
        } else {
            improved = !value.isNaN
        }
        if improved {
            (best, bestEpoch, epochsWithoutImprovement) = (value, epoch, 0)
        } else {
            epochsWithoutImprovement += 1
        }
        return improved
    }

    /// Whether training should stop now: `patience` epochs have passed without improvement.
    public var shouldStop: Bool { best != nil && epochsWithoutImprovement >= patience }
}

extension TrialConfig {
    /// The trial's early-stopping rule for a metric where lower (RMSE) or higher (accuracy)
    /// is better; nil when `early_stop` is off.
    public func earlyStopping(lowerIsBetter: Bool) -> EarlyStopping? {
        guard let patience = earlyStop, patience > 0 else { return nil }
        return EarlyStopping(patience: patience, tolerance: earlyStopTolerance ?? 0, lowerIsBetter: lowerIsBetter)
    }

    /// `early stop 10` or `early stop 10 (tol 0.01)`; nil when off (the summary's part).
    var earlyStopText: String? {
        guard let n = earlyStop else { return nil }
        return "early stop \(n)" + (earlyStopTolerance.map { " (tol \($0))" } ?? "")
    }
}
