import HypergridPrimitives

/// The shape of the prepared dataset that a plan's costs depend on.
public struct DatasetShape: Codable, Sendable, Hashable {
    public var features: Int
    public var classes: Int
    public var trainRows: Int
    /// The validation split's rows: a refit on train+validation trains on them too.
    public var validationRows: Int

    public init(features: Int, classes: Int, trainRows: Int, validationRows: Int = 0) {
        self.features = features
        self.classes = classes
        self.trainRows = trainRows
        self.validationRows = validationRows
    }
}

extension GridSpec {
    /// Expands the grid into trials: the chosen points (all of them, or a seeded
    /// random subset), each repeated `search.repeats` times with seeds
    /// `search.seed + repetition`, each with its content-addressed id and cost.
    ///
    /// The result is in grid order; dispatch order is the scheduler's business.
    public func plan(datasetFingerprint: String, shape: DatasetShape,
                     numericsVersion: String = HypergridVersion.numerics) -> [PlannedTrial] {
        let points: [Int]
        switch search.kind {
        case .grid:
            points = Array(0..<axes.pointCount)
        case .random(let samples):
            points = Self.sample(samples, of: axes.pointCount, seed: search.seed)
        case .halving:
            // The first rung; the scheduler plans the later ones from its results.
            return halvingRung(0, points: Array(0..<axes.pointCount),
                               datasetFingerprint: datasetFingerprint, shape: shape,
                               numericsVersion: numericsVersion)
        }
        var trials: [PlannedTrial] = []
        trials.reserveCapacity(points.count * search.repeats)
        for point in points {
            for repetition in 0..<search.repeats {
                let config = axes.point(point, seed: search.seed &+ UInt64(repetition))
                trials.append(PlannedTrial(
                    id: TrialID(config: config, datasetFingerprint: datasetFingerprint,
                                numericsVersion: numericsVersion),
                    config: config, point: point, repetition: repetition,
                    cost: config.estimatedCost(shape: shape)))
            }
        }
        return trials
    }

    /// `count` distinct indices from `0..<total`, sorted, chosen by a partial
    /// Fisher–Yates shuffle driven by SplitMix64 so that the same seed picks the
    /// same points on every machine.
    ///
    /// The shuffle is sparse: only the positions it has swapped are kept (in a dictionary),
    /// so memory and time grow with `count`, not with `total` — a random search may draw
    /// 100 points from a product of 10^12. It picks exactly the indices a shuffle of the
    /// whole `Array(0..<total)` would (the swap at step i only ever moves position i and a
    /// later one, and position i is never touched again), so plans made before are unchanged.
    static func sample(_ count: Int, of total: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        let n = min(count, total)
        var moved: [Int: Int] = [:]   // position -> the index now there, where not its own
        moved.reserveCapacity(n)
        var chosen: [Int] = []
        chosen.reserveCapacity(n)
        for i in 0..<n {
            // Multiply-shift maps 64 random bits onto [0, total - i) without modulo bias
            // worth caring about for grid sizes (< 2^32).
            let span = UInt64(total - i)
            let j = i + Int(rng.next().multipliedFullWidth(by: span).high)
            let atI = moved[i] ?? i
            chosen.append(moved[j] ?? j)
            moved[j] = atI
            moved[i] = nil
        }
        return chosen.sorted()
    }
}

extension TrialConfig {
    /// Multiply-adds of forward + backward passes over all trained samples: the
    /// scheduler's estimate of how long this trial takes relative to others.
    public func estimatedCost(shape: DatasetShape) -> Double {
        let widths = [shape.features] + hidden + [shape.classes]
        var perSample = 0.0
        for i in 0..<(widths.count - 1) { perSample += Double(widths[i] * widths[i + 1]) }
        let iterations = trainedIterations(trainRows: shape.trainRows)
        // Backward costs about twice the forward pass (weight and input gradients).
        return 3 * perSample * Double(batchSize) * Double(iterations)
    }
}
