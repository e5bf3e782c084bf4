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
        fit(rows: train.rows, columns: train.columns, divideByDeviation: divideByDeviation) { UnsafePointer(train.row($0)) }
    }

    /// The same statistics fitted on 8-bit pixels: bit for bit those that
    /// ``fit(_:divideByDeviation:)`` finds on their float32 values (same operations, same order).
    public static func fit(_ train: PixelMatrix, divideByDeviation: Bool) -> Standardizer {
        train.pixels.withUnsafeBufferPointer { pixels in
            fit(rows: train.rows, columns: train.columns, divideByDeviation: divideByDeviation) {
                pixels.baseAddress! + $0 * train.columns
            }
        }
    }

    private static func fit<Value: ExactlyDouble>(rows n: Int, columns d: Int, divideByDeviation: Bool,
                                                  row: (Int) -> UnsafePointer<Value>) -> Standardizer {
        precondition(n > 0, "cannot fit on an empty training split")
        var sum = [Double](repeating: 0, count: d)
        sum.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let r = row(i)
                for j in 0..<d { s[j] += r[j].double }
            }
        }
        let mean = sum.map { $0 / Double(n) }
        guard divideByDeviation else { return Standardizer(mean: mean, scale: .init(repeating: 1, count: d)) }
        var squares = [Double](repeating: 0, count: d)
        squares.withUnsafeMutableBufferPointer { q in
            mean.withUnsafeBufferPointer { mu in
                for i in 0..<n {
                    let r = row(i)
                    for j in 0..<d {
                        let c = r[j].double - mu[j]
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

    /// Writes `rows` standardised rows of 8-bit `pixels` (row-major) to `output`: the
    /// values ``apply(inPlace:)`` gives their float32 copy, bit for bit.
    public func apply(pixels: UnsafePointer<UInt8>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let d = mean.count
        mean.withUnsafeBufferPointer { mu in
            scale.withUnsafeBufferPointer { sc in
                for i in 0..<rows {
                    let from = pixels + i * d, to = output + i * d
                    for j in 0..<d { to[j] = Float((Double(from[j]) - mu[j]) / sc[j]) }
                }
            }
        }
    }
}

/// Feature values whose conversion to Double is exact, so that statistics do not depend on
/// whether the values were stored as float32 or as bytes.
protocol ExactlyDouble {
    var double: Double { get }
}

extension Float: ExactlyDouble {
    @inline(__always) var double: Double { Double(self) }
}

extension UInt8: ExactlyDouble {
    @inline(__always) var double: Double { Double(self) }
}
