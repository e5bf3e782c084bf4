/// Regression targets standardised with the training split's statistics: the network learns
/// `(t − mean) / deviation` per target column, and every reported figure and prediction is
/// mapped back (`output·deviation + mean`). Without it, the learning rates and L2 strengths
/// of a grid would mean different things on targets in the hundreds (diabetes) and in [0, 1].
///
/// The same statistics ``InputSchema/Target/regression(names:mean:deviation:)`` carries for a
/// model file, fitted by this one function.
public struct TargetScaling: Sendable, Hashable, Codable {
    /// Per target column: the training split's mean and population deviation (1 for a
    /// constant column, so that it maps to 0 rather than dividing by 0).
    public var mean: [Double]
    public var deviation: [Double]

    public init(mean: [Double], deviation: [Double]) {
        precondition(mean.count == deviation.count, "one mean and one deviation per target column")
        self.mean = mean
        self.deviation = deviation
    }

    /// Target columns.
    public var count: Int { mean.count }

    /// Fits on `split.targets` (`rows × targetCount`), summing in Double in row order.
    public static func fit(_ split: LabeledMatrix) -> TargetScaling {
        let k = split.targetCount, n = split.rows
        guard let targets = split.targets, k > 0, n > 0 else {
            return TargetScaling(mean: [Double](repeating: 0, count: k), deviation: [Double](repeating: 1, count: k))
        }
        var mean = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { mean[j] += Double(targets[i * k + j]) } }
        for j in 0..<k { mean[j] /= Double(n) }
        var variance = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for j in 0..<k {
                let d = Double(targets[i * k + j]) - mean[j]
                variance[j] += d * d
            }
        }
        let deviation = variance.map { v -> Double in
            let s = (v / Double(n)).squareRoot()
            return s > 0 && s.isFinite ? s : 1
        }
        return TargetScaling(mean: mean, deviation: deviation)
    }

    /// `(t − mean) / deviation` of every entry, as float32 (`rows × count`, row-major).
    public func standardized(_ targets: [Float]) -> [Float] {
        let k = count
        return targets.indices.map { e in Float((Double(targets[e]) - mean[e % k]) / deviation[e % k]) }
    }

    /// A network output of column `column` in the targets' own units.
    @inline(__always)
    public func original(_ output: Float, column: Int) -> Double {
        Double(output) * deviation[column] + mean[column]
    }
}
