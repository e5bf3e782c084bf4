import HypergridData
import HypergridKernel
import HypergridSearchSpace

/// How a regression network's outputs (standardised targets) map back to the targets' own
/// units: `output·deviation + mean` per column, with the statistics the reader fitted on the
/// training split (``InputSchema/Target/regression(names:mean:deviation:)``). Data without such
/// a schema (built in code) is taken as it is: mean 0, deviation 1.
struct TargetScaling {
    var mean: [Double]
    var deviation: [Double]

    init(_ data: DatasetSplits) {
        let k = data.train.targetCount
        if case .regression(_, let mean, let deviation)? = data.schema?.target, mean.count == k, deviation.count == k {
            (self.mean, self.deviation) = (mean, deviation)
        } else {
            (self.mean, self.deviation) = ([Double](repeating: 0, count: k), [Double](repeating: 1, count: k))
        }
    }

    /// Target columns.
    var count: Int { mean.count }

    /// A standardised value of column `column` in the targets' own units.
    @inline(__always)
    func original(_ value: Float, column: Int) -> Double { Double(value) * deviation[column] + mean[column] }
}

extension Trainer {
    /// Whether `data` is a regression dataset: its training split carries float targets.
    static func isRegression(_ data: DatasetSplits) -> Bool {
        data.train.targets != nil && data.train.targetCount > 0
    }

    /// RMSE, MAE and R² of the network's predictions on the first `limit` rows of `split`, in
    /// the targets' own units (outputs and targets mapped back through `scaling`); nil for no rows.
    ///
    /// Errors are summed in Double in row order per target column, so the figures are a pure
    /// function of the weights and the data. R² is per column, then averaged (scikit-learn's
    /// `r2_score`); a constant column scores 1 when predicted exactly and 0 otherwise, as
    /// scikit-learn's `force_finite`.
    func regressionMetrics(_ net: MLP, _ split: LabeledMatrix, scaling: TargetScaling,
                           limit: Int = .max) -> RegressionMetrics? {
        let rows = min(split.rows, limit), k = scaling.count
        guard rows > 0, let targets = split.targets, targets.count >= rows * k else { return nil }
        var targetMean = [Double](repeating: 0, count: k)
        for i in 0..<rows { for j in 0..<k { targetMean[j] += scaling.original(targets[i * k + j], column: j) } }
        for j in 0..<k { targetMean[j] /= Double(rows) }
        var squared = [Double](repeating: 0, count: k), absolute = 0.0
        var total = [Double](repeating: 0, count: k)
        var start = 0
        while start < rows {
            let n = min(net.maxBatch, rows - start)
            let outputs = net.inferenceScores(x: split.features.base + start * split.columns, rows: n)
            for r in 0..<n {
                for j in 0..<k {
                    let t = scaling.original(targets[(start + r) * k + j], column: j)
                    let d = scaling.original(outputs[r * k + j], column: j) - t
                    squared[j] += d * d
                    absolute += abs(d)
                    total[j] += (t - targetMean[j]) * (t - targetMean[j])
                }
            }
            start += n
        }
        let entries = Double(rows * k)
        let r2 = (0..<k).map { j -> Double in
            total[j] > 0 ? 1 - squared[j] / total[j] : (squared[j] == 0 ? 1 : 0)
        }
        return RegressionMetrics(rmse: (squared.reduce(0, +) / entries).squareRoot(), mae: absolute / entries,
                                 r2: r2.reduce(0, +) / Double(k))
    }

    /// Why regression targets cannot be trained on, or nil: every split carries
    /// `rows × targetCount` finite targets with the training split's column count.
    static func targetProblem(_ data: DatasetSplits) -> String? {
        let k = data.train.targetCount
        for (name, split) in [("train", data.train), ("validation", data.validation), ("test", data.test)] {
            guard let targets = split.targets, split.targetCount == k, targets.count == split.rows * k else {
                return "the \(name) split does not carry \(k) regression target(s) per row"
            }
            if let bad = targets.firstIndex(where: { !$0.isFinite }) {
                return "\(name) row \(bad / k + 1) has a non-finite target (\(targets[bad]))"
            }
        }
        return nil
    }
}
