import HypergridData

/// Per-feature centring and scaling fitted on the training split: `x ← (x − μ) / σ`.
///
/// As the reference (`cifar_data.py`): statistics in float64, μ the training mean, σ the
/// training *population* deviation plus 1e-8. One deliberate difference: a feature that is
/// constant on the training split (σ = 0, e.g. an always-black border pixel) is only centred,
/// not divided by 1e-8, which would turn any non-zero validation or test value into ~1e8.
public struct Standardizer: Sendable, Equatable {
    /// Training mean of each feature.
    public let mean: [Double]
    /// What each centred feature is divided by (all 1 when only centring).
    public let scale: [Double]

    /// Statistics fitted elsewhere (e.g. read back from a file).
    public init(mean: [Double], scale: [Double]) {
        precondition(mean.count == scale.count, "one mean and one scale per feature")
        self.mean = mean
        self.scale = scale
    }

    /// Fits the statistics on `train` in two passes (mean, then squared deviations) for
    /// accuracy; with `divideByDeviation` false the scale is 1 (centring only).
    public static func fit(_ train: LabeledMatrix, divideByDeviation: Bool) -> Standardizer {
        let d = train.columns, n = train.rows
        precondition(n > 0, "cannot fit on an empty training split")
        var sum = [Double](repeating: 0, count: d)
        sum.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let row = train.row(i)
                for j in 0..<d { s[j] += Double(row[j]) }
            }
        }
        let mean = sum.map { $0 / Double(n) }
        guard divideByDeviation else { return Standardizer(mean: mean, scale: .init(repeating: 1, count: d)) }
        var squares = [Double](repeating: 0, count: d)
        squares.withUnsafeMutableBufferPointer { q in
            mean.withUnsafeBufferPointer { mu in
                for i in 0..<n {
                    let row = train.row(i)
                    for j in 0..<d {
                        let c = Double(row[j]) - mu[j]
                        q[j] += c * c
                    }
                }
            }
        }
        let scale = squares.map { q -> Double in
            let sd = (q / Double(n)).squareRoot()
            return sd > 0 ? sd + 1e-8 : 1
        }
        return Standardizer(mean: mean, scale: scale)
    }

    /// Rewrites `matrix`'s features in place (in float64, rounded once to float32).
    public func apply(inPlace matrix: LabeledMatrix) {
        let d = matrix.columns
        precondition(d == mean.count, "feature count differs from the fitted statistics")
        mean.withUnsafeBufferPointer { mu in
            scale.withUnsafeBufferPointer { sc in
                for i in 0..<matrix.rows {
                    let row = matrix.row(i)
                    for j in 0..<d { row[j] = Float((Double(row[j]) - mu[j]) / sc[j]) }
                }
            }
        }
    }
}
