import Foundation
import HypergridPrimitives

/// A seeded, learnable synthetic dataset: class-dependent Gaussian clusters.
///
/// Each class `c` has a centre `μ_c` with coordinates drawn from `N(0, (2.8/√features)²)`, so
/// the expected distance between two centres is about 4 whatever the feature count; a row of
/// class `c` is `μ_c + N(0, 1)` per feature. Classes overlap somewhat — a nearest-centre rule
/// is right most of the time but not always — so a model can learn it without it being trivial.
/// Labels are drawn uniformly.
///
/// Every split has its own random stream derived from the seed, so the validation and test
/// rows do not change when `trainRows` does.
public enum SyntheticDataset {
    /// Default split sizes when a request leaves them `nil`.
    public static let defaultSizes = SplitSizes(train: 5_000, validation: 1_000, test: 1_000)

    /// The generator's version, part of the dataset fingerprint: bump it whenever the values change.
    public static let generatorVersion = 1

    /// The split sizes a request resolves to.
    public static func splitSizes(_ request: DatasetRequest) throws -> SplitSizes {
        try request.validateParameters()
        return SplitSizes(train: request.trainRows ?? defaultSizes.train,
                          validation: request.validationRows ?? defaultSizes.validation,
                          test: request.testRows ?? defaultSizes.test)
    }

    /// Generates the three splits.
    public static func generate(sizes: SplitSizes, features: Int, classes: Int, seed: UInt64) -> DatasetSplits {
        var centreRNG = SplitMix64(seed: seed ^ 0x6365_6e74_7265_7321) // "centres!"
        let spread = 2.8 / Double(features).squareRoot()
        let centres = (0..<(classes * features)).map { _ in spread * centreRNG.nextGaussian() }

        func split(_ rows: Int, stream: UInt64) -> LabeledMatrix {
            var rng = SplitMix64(seed: seed &* 0x9e37_79b9_7f4a_7c15 &+ stream)
            let storage = FloatStorage(zeroedCount: rows * features)
            var labels = [Int32]()
            labels.reserveCapacity(rows)
            for r in 0..<rows {
                let c = Int(rng.next() % UInt64(classes))
                labels.append(Int32(c))
                let out = storage.base + r * features
                for j in 0..<features {
                    out[j] = Float(centres[c * features + j] + rng.nextGaussian())
                }
            }
            return LabeledMatrix(rows: rows, columns: features, features: storage, labels: labels)
        }
        return DatasetSplits(name: DatasetRequest.Kind.synthetic.rawValue, classCount: classes,
                             train: split(sizes.train, stream: 1),
                             validation: split(sizes.validation, stream: 2),
                             test: split(sizes.test, stream: 3))
    }
}

extension SyntheticDataset {
    /// The regression generator's version, part of the fingerprint of regression data.
    public static let regressionGeneratorVersion = 1

    /// Generates seeded regression splits: rows `x ~ N(0, I)` of `features` values and
    /// `targets` columns per row,
    ///
    ///     t_k = 100 + 30·tanh(a_k·x) + 15·(b_k·x)² + N(0, 5²)
    ///
    /// with `a_k`, `b_k` drawn once from `N(0, I/features)` (so `a_k·x` is about standard
    /// normal whatever the width). The targets are far from 0 and unit scale on purpose (as
    /// real ones are: diabetes' run from 25 to 346), nonlinear (a linear model explains
    /// about half of the variance, a small MLP nearly all of it, the noise caps R² near 0.97)
    /// and noisy. Labels are all 0; as for classification, each split has its own stream.
    ///
    /// As every reader's, the targets come standardised with the training split's mean and
    /// deviation per column, which the schema's `.regression` target carries.
    public static func generateRegression(sizes: SplitSizes, features: Int, targets: Int,
                                          seed: UInt64) -> DatasetSplits {
        var directionRNG = SplitMix64(seed: seed ^ 0x7265_6772_6573_7321) // "regress!"
        let scale = 1 / Double(features).squareRoot()
        let a = (0..<(targets * features)).map { _ in scale * directionRNG.nextGaussian() }
        let b = (0..<(targets * features)).map { _ in scale * directionRNG.nextGaussian() }

        func split(_ rows: Int, stream: UInt64) -> LabeledMatrix {
            var rng = SplitMix64(seed: seed &* 0x9e37_79b9_7f4a_7c15 &+ 0x100 &+ stream)
            let storage = FloatStorage(zeroedCount: rows * features)
            var values = [Float](repeating: 0, count: rows * targets)
            var x = [Double](repeating: 0, count: features)
            for r in 0..<rows {
                let out = storage.base + r * features
                for j in 0..<features {
                    x[j] = rng.nextGaussian()
                    out[j] = Float(x[j])
                }
                for k in 0..<targets {
                    var u = 0.0, v = 0.0
                    for j in 0..<features {
                        u += a[k * features + j] * x[j]
                        v += b[k * features + j] * x[j]
                    }
                    values[r * targets + k] = Float(100 + 30 * Foundation.tanh(u) + 15 * v * v + 5 * rng.nextGaussian())
                }
            }
            var matrix = LabeledMatrix(rows: rows, columns: features, features: storage,
                                       labels: [Int32](repeating: 0, count: rows))
            matrix.targets = values
            matrix.targetCount = targets
            return matrix
        }
        var splits = DatasetSplits(name: DatasetRequest.Kind.synthetic.rawValue, classCount: targets,
                                   train: split(sizes.train, stream: 1),
                                   validation: split(sizes.validation, stream: 2),
                                   test: split(sizes.test, stream: 3))
        let raw = splits.train.targets ?? []
        let statistics = (0..<targets).map { k in
            TableEncoder.meanAndDeviation(stride(from: k, to: raw.count, by: targets).map { Double(raw[$0]) })
        }
        for keyPath in [\DatasetSplits.train, \.validation, \.test] {
            splits[keyPath: keyPath].targets = splits[keyPath: keyPath].targets?.enumerated().map { e, t in
                let (mean, deviation) = statistics[e % targets]
                return Float((Double(t) - mean) / deviation)
            }
        }
        splits.schema = InputSchema(columns: nil, arrayFeatureCount: features,
                                    target: .regression(names: (0..<targets).map { "t\($0)" },
                                                        mean: statistics.map(\.0), deviation: statistics.map(\.1)))
        return splits
    }
}

/// The deviates the synthetic dataset draws; pinned, like SplitMix64 itself.
extension SplitMix64 {
    /// Uniform in (0, 1]: never 0, so the logarithm below is finite.
    mutating func nextUnit() -> Double { (Double(next() >> 11) + 1) * 0x1p-53 }

    /// A standard normal deviate (Box–Muller; the second deviate is discarded for simplicity).
    mutating func nextGaussian() -> Double {
        let u = nextUnit(), v = nextUnit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
