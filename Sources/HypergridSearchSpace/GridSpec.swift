/// How the points of a grid are chosen.
public enum SearchKind: Sendable, Hashable {
    /// Every point of the Cartesian product.
    case grid
    /// `samples` distinct points drawn from the product with a seeded generator.
    case random(samples: Int)
    /// Successive halving over every point of the product (see ``HalvingRungs``).
    case halving(HalvingRungs)
}

/// The search section of a grid file.
public struct SearchSpec: Sendable, Hashable {
    public var kind: SearchKind
    /// Seeds the random search's sampling and the trials' base seed.
    public var seed: UInt64
    /// Each point is trained this many times with seeds `seed, seed+1, …`.
    public var repeats: Int
    /// After the search, retrain the best point on this data and measure its test
    /// accuracy (`final: refit`); nil for no refit.
    public var refit: RefitData?
    /// The coordinator keeps the models of this many trials with the best validation metric
    /// (`keep_models`), and the refit's; 0 keeps none. Not part of any trial's identity.
    public var keepModels: Int = 1
    /// `search.trial_timeout`: seconds a trial may run on one worker before it is taken
    /// back and requeued (`--trial-timeout` overrides it); nil for no limit.
    public var trialTimeout: Double?
    /// `search.verify`: the fraction of finished trials the coordinator re-runs on another
    /// worker to compare result digests (issue 17 §3); 0 (the default) verifies nothing.
    /// Not part of any trial's identity.
    public var verify: Double = 0

    public init(kind: SearchKind = .grid, seed: UInt64 = 0, repeats: Int = 1, refit: RefitData? = nil) {
        self.kind = kind
        self.seed = seed
        self.repeats = repeats
        self.refit = refit
    }
}

/// Every swept parameter with its candidate values; a scalar in the grid file is a
/// one-element list. The Cartesian product of these lists is the grid.
public struct ParameterAxes: Sendable, Hashable {
    public var hidden: [[Int]] = [[256]]
    public var batchNorm: [Bool] = [false]
    public var optimizer: [OptimizerKind] = [.sgd]
    public var momentum: [Double] = [0.9]
    public var learningRate: [Double] = [1e-3]
    public var learningRateDecay: [Double] = [0.95]
    public var reg: [Double] = [0]
    public var batchSize: [Int] = [200]
    public var length: [TrainingLength] = [.iterations(1000)]
    public var initScheme: [InitScheme] = [.gaussian(std: 1e-4)]
    public var lossEvery: Int = 10
    // Model features (issue #8); the defaults are "off". Declared after the others and
    // varying slowest, so that a grid without them keeps its point indices.
    public var dropout: [Double] = [0]
    public var horizontalFlip: [Bool] = [false]
    public var schedule: [LearningRateSchedule] = [.step]
    public var warmupEpochs: [Double] = [0]
    /// The fields that join through the field table (TrialFieldExtension), by grid key; a
    /// field not listed takes its `off` value. They vary slowest, after every axis above.
    public var added: [String: [FieldValue]] = [:]

    public init() {}

    /// The number of points in the Cartesian product; `Int.max` when the product does not
    /// fit in an `Int` (a grid that large is refused by ``GridSpec/checkSize(limit:file:)``
    /// before anything is planned).
    public var pointCount: Int { checkedPointCount ?? Int.max }

    /// The number of points in the Cartesian product, or nil when it overflows an `Int`.
    public var checkedPointCount: Int? {
        var product = 1
        for size in axisSizes {
            let (next, overflow) = product.multipliedReportingOverflow(by: size.count)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Every axis's grid-file name and number of values, in declaration order.
    public var axisSizes: [(name: String, count: Int)] {
        let lengthName = length.first.map { if case .epochs = $0 { "epochs" } else { "iterations" } } ?? "iterations"
        return [("hidden", hidden.count), ("batch_norm", batchNorm.count), ("optimizer", optimizer.count),
                ("momentum", momentum.count), ("learning_rate", learningRate.count),
                ("decay", learningRateDecay.count), ("reg", reg.count), ("batch_size", batchSize.count),
                (lengthName, length.count), ("init", initScheme.count), ("dropout", dropout.count),
                ("horizontal_flip", horizontalFlip.count), ("schedule", schedule.count),
                ("warmup_epochs", warmupEpochs.count)]
            // Fields added through the field table, each a list only when the grid sweeps it.
            + TrialField.extensions.map { (String($0.field.gridKey.split(separator: ".").last!), added[$0.field.gridKey]?.count ?? 1) }
    }

    /// The names of the parameters that take more than one value, in grid-file spelling.
    public var sweptParameters: [String] {
        axisSizes.filter { $0.count > 1 }.map(\.name)
    }

    /// The point at `index` of the product, with `seed`. The last axis varies fastest,
    /// in the order the parameters are declared here, so indices are stable.
    public func point(_ index: Int, seed: UInt64) -> TrialConfig {
        precondition(index >= 0 && index < pointCount, "grid index out of range")
        var rest = index
        func pick<T>(_ values: [T]) -> T {
            // Walk from the fastest-varying axis (declared last) to the slowest.
            let v = values[rest % values.count]
            rest /= values.count
            return v
        }
        let initScheme = pick(self.initScheme)
        let length = pick(self.length)
        let batchSize = pick(self.batchSize)
        let reg = pick(self.reg)
        let decay = pick(self.learningRateDecay)
        let lr = pick(self.learningRate)
        let momentum = pick(self.momentum)
        let optimizer = pick(self.optimizer)
        let batchNorm = pick(self.batchNorm)
        let hidden = pick(self.hidden)
        var config = TrialConfig(hidden: hidden, batchNorm: batchNorm, optimizer: optimizer,
                                 momentum: momentum, learningRate: lr, learningRateDecay: decay,
                                 reg: reg, batchSize: batchSize, length: length,
                                 initScheme: initScheme, seed: seed, lossEvery: lossEvery)
        config.dropout = pick(self.dropout)
        config.horizontalFlip = pick(self.horizontalFlip)
        config.schedule = pick(self.schedule)
        config.warmupEpochs = pick(self.warmupEpochs)
        for (field, fieldAdded) in TrialField.extensions {
            fieldAdded.assign(pick(added[field.gridKey] ?? [fieldAdded.off]), to: &config)
        }
        return config.canonicalized
    }
}

/// A parsed, validated grid file: what to train on, what to sweep, how to search.
public struct GridSpec: Sendable, Hashable {
    public var dataset: DatasetSpec
    public var axes: ParameterAxes
    public var search: SearchSpec

    public init(dataset: DatasetSpec, axes: ParameterAxes, search: SearchSpec) {
        self.dataset = dataset
        self.axes = axes
        self.search = search
    }
}
