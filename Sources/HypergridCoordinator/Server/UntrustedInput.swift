import HypergridSearchSpace

/// Text from the network, made safe to print: a worker chooses its name, version strings
/// and failure reasons, and they end up in log lines, the journal and the leaderboard.
enum NetworkText {
    /// `text` with control and format characters (newlines, ANSI escapes, bidirectional
    /// overrides) replaced by U+FFFD and cut to `limit` characters; `empty` if nothing is left.
    static func printable(_ text: String, limit: Int, empty: String = "") -> String {
        var out = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { out.append("…"); break }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                out.append("\u{FFFD}")
            default:
                out.append(scalar)
            }
            count += 1
        }
        return out.isEmpty ? empty : String(out)
    }
}

/// The checks a result passes before its numbers are recorded: each bound is one the
/// trainer cannot exceed for the trial's configuration, so an honest worker never fails
/// them, and a result that does is not believed.
enum ResultCheck {
    /// Why `outcome` cannot be the outcome of training `config` on `trainRows` rows, or nil.
    ///
    /// - Parameters:
    ///   - trainRows: the rows the trainer trains this trial on (``TrialConfig/trainingRows(in:)``:
    ///     a refit on train+validation trains on both splits).
    ///   - resumable: whether the trial was planned to continue from a checkpoint (a halving
    ///     rung after the first); only such a result may say it resumed.
    static func problem(with outcome: TrialOutcome, of config: TrialConfig, trainRows: Int,
                        resumable: Bool = false) -> String? {
        let m = outcome.metrics, h = outcome.history
        for (name, value) in [("train accuracy", m.trainAccuracy), ("validation accuracy", m.validationAccuracy),
                              ("test accuracy", m.testAccuracy)] {
            if let value, !(0...1).contains(value) { return "its \(name) \(value) is not a fraction in [0, 1]" }
        }
        // Regression errors: RMSE and MAE are non-negative, R² at most 1 (any negative is possible).
        for (name, value) in [("train", m.trainRegression), ("validation", m.validationRegression), ("test", m.testRegression)] {
            guard let value else { continue }
            if !(value.rmse >= 0 && value.rmse.isFinite) || !(value.mae >= 0 && value.mae.isFinite) {
                return "its \(name) RMSE \(value.rmse) or MAE \(value.mae) is not a finite, non-negative number"
            }
            if !(value.r2 <= 1) { return "its \(name) R² \(value.r2) is not a number at most 1" }
        }
        // Only the final refit measures the test split; a searched trial never sees it.
        if config.refit == nil, m.testAccuracy != nil || m.testRegression != nil {
            return "it reports a test \(m.testRegression != nil ? "RMSE" : "accuracy"), which only the final refit measures"
        }
        for (name, value) in [("wall time", m.wallSeconds), ("throughput", m.samplesPerSecond)] {
            if !(value >= 0 && value.isFinite) { return "its \(name) \(value) is not a finite, non-negative number" }
        }
        guard config.batchSize > 0, trainRows > 0 else { return nil }   // a plan the trainer fails anyway
        // What the trainer trains for this assignment: a halving rung stops at its budget.
        let total = config.trainedIterations(trainRows: trainRows)
        if !(0...max(total, 0)).contains(m.iterations) {
            return "it claims \(m.iterations) iterations of a trial of \(total)"
        }
        if let resumed = m.resumedAt {
            guard resumable else { return "it claims to have continued from a checkpoint at iteration \(resumed), but it was given none" }
            if !(0...m.iterations).contains(resumed) {
                return "it claims to have continued from iteration \(resumed) of its \(m.iterations)"
            }
        }
        let lossEvery = max(config.lossEvery, 1)
        // An empty history (a trial that failed before training) may carry any interval.
        if !h.loss.isEmpty, h.lossEvery != lossEvery { return "its loss history is sampled every \(h.lossEvery) iterations, not every \(lossEvery)" }
        if h.loss.count > total / lossEvery + 1 { return "its loss history has \(h.loss.count) entries, more than \(total) iterations make" }
        let epochs = total / max(trainRows / config.batchSize, 1) + 1
        if h.trainAccuracy.count > epochs || h.validationAccuracy.count > epochs {
            return "its accuracy history has more entries than the trial has epochs"
        }
        for value in h.trainAccuracy + h.validationAccuracy where !(0...1).contains(value) {
            return "its accuracy history holds \(value), not a fraction in [0, 1]"
        }
        if let curve = h.validationRMSE {
            if curve.count > epochs { return "its RMSE history has more entries than the trial has epochs" }
            if let bad = curve.first(where: { !($0 >= 0 && $0.isFinite) }) {
                return "its RMSE history holds \(bad), not a finite, non-negative number"
            }
        }
        return nil
    }
}
