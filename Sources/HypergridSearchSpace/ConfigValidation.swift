/// A value of a ``TrialConfig`` or ``DatasetSpec`` that has a range rule, named by its
/// grid-file key (the raw value), so that each front end can say where to fix it: the grid
/// parser names the key and line, the `train` command maps it to its flag, the trainer
/// reports `key: message` as a failed trial's reason.
public enum ConfigField: String, Sendable, Hashable, CaseIterable {
    case trainRows = "dataset.train_rows"
    case validationRows = "dataset.validation_rows"
    case testRows = "dataset.test_rows"
    case pca = "dataset.pca"
    case hidden = "model.hidden"
    /// The standard deviation of `init: std=…` (He initialisation has no value to check).
    case initStd = "model.init"
    case momentum = "training.momentum"
    case learningRate = "training.learning_rate"
    case decay = "training.decay"
    case reg = "training.reg"
    case batchSize = "training.batch_size"
    case iterations = "training.iterations"
    case epochs = "training.epochs"
    case lossEvery = "training.loss_every"
    case dropout = "model.dropout"
    case horizontalFlip = "training.horizontal_flip"
    case warmupEpochs = "training.warmup_epochs"

    /// Why `value` is outside this field's range, or nil if it is inside. The message is
    /// the part after the key, e.g. `must be positive, got -1.0`.
    ///
    /// These are the only range rules for trials and datasets: the grid parser, the `train`
    /// command and the trainer all take them from here. The trainer's kernel is compiled
    /// `-Ounchecked` and relies on sizes (widths, batch size, loss stride) being at least 1,
    /// so loosening a rule here loosens what reaches it.
    public func problem(_ value: Double) -> String? {
        // NaN fails every comparison and ±inf passes some; say which it is rather than
        // "must be positive, got nan".
        guard value.isFinite else { return "must be a finite number, got \(value)" }
        return problem(value, shownAs: "\(value)")
    }

    /// Why `value` is outside this field's range, or nil; the same rules as for a `Double`.
    public func problem(_ value: Int) -> String? {
        problem(Double(value), shownAs: "\(value)")
    }

    private func problem(_ value: Double, shownAs text: String) -> String? {
        switch self {
        case .trainRows, .validationRows, .hidden, .batchSize, .iterations, .epochs, .lossEvery, .learningRate:
            return value > 0 ? nil : "must be positive, got \(text)"
        case .testRows:
            // 0 is "no test split" (DatasetRequest.testRows), as for `--test-rows 0`.
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .reg:
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .pca:
            return value > 0 && value <= 1 ? nil : "must be a fraction of variance in (0, 1], got \(text)"
        case .initStd:
            return value > 0 ? nil : "must be a positive standard deviation, got \(text)"
        case .momentum:
            return value >= 0 && value < 1 ? nil : "must be in [0, 1), got \(text)"
        case .decay:
            return value > 0 && value <= 1 ? nil : "must be in (0, 1], got \(text)"
        case .dropout:
            return value >= 0 && value < 1 ? nil : "must be a drop probability in [0, 1), got \(text)"
        case .warmupEpochs:
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .horizontalFlip:
            return nil   // a flag: its only rule is across keys (see validationProblems(for:))
        }
    }
}

/// One out-of-range value of a configuration: `field` is where, `message` the part after
/// the key (`must be positive, got -1.0`). Its description is `key: message`.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var field: ConfigField
    public var message: String

    /// A problem with `field`; `message` reads after the field's name.
    public init(_ field: ConfigField, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field.rawValue): \(message)" }
}

/// Collects the problems of several fields in order.
private struct ProblemList {
    var problems: [ConfigProblem] = []

    mutating func check(_ field: ConfigField, _ value: Double?) {
        if let value, let message = field.problem(value) { problems.append(ConfigProblem(field, message)) }
    }

    mutating func check(_ field: ConfigField, _ value: Int?) {
        if let value, let message = field.problem(value) { problems.append(ConfigProblem(field, message)) }
    }
}

extension TrialConfig {
    /// Every out-of-range value, in grid-file order (model, then training); empty when the
    /// trial can be trained. Types and the shape of the input (unknown keys, both
    /// iterations and epochs, …) are the front ends' to check; this is about values.
    public func validationProblems() -> [ConfigProblem] {
        var list = ProblemList()
        if hidden.isEmpty {
            list.problems.append(ConfigProblem(.hidden, "must give at least one layer width"))
        }
        // One problem per field: the first bad width is enough to act on.
        list.check(.hidden, hidden.first { ConfigField.hidden.problem($0) != nil })
        if case .gaussian(let std) = initScheme { list.check(.initStd, std) }
        list.check(.momentum, momentum)
        list.check(.learningRate, learningRate)
        list.check(.decay, learningRateDecay)
        list.check(.reg, reg)
        list.check(.batchSize, batchSize)
        switch length {
        case .iterations(let n): list.check(.iterations, n)
        case .epochs(let e): list.check(.epochs, e)
        }
        list.check(.lossEvery, lossEvery)
        list.check(.dropout, dropout)
        list.check(.warmupEpochs, warmupEpochs)
        return list.problems
    }

    /// ``validationProblems()`` plus the rules that need the dataset: a horizontal flip moves
    /// pixels, so it needs rows that are still images — not PCA components, not synthetic data.
    public func validationProblems(for dataset: DatasetSpec) -> [ConfigProblem] {
        var problems = validationProblems()
        if flipsHorizontally, let reason = dataset.horizontalFlipProblem {
            problems.append(ConfigProblem(.horizontalFlip, reason))
        }
        return problems
    }
}

extension DatasetSpec {
    /// Why a horizontal flip cannot work on this data, or nil if it can.
    public var horizontalFlipProblem: String? {
        if kind == .synthetic { return "needs image data; synthetic rows are not images" }
        if kind == .csv { return "needs image data; CSV rows are not images" }
        if pcaVariance != nil {
            return "needs image pixels, which PCA replaces with principal components; turn PCA off (standardised pixels work)"
        }
        return nil
    }
}

extension DatasetSpec {
    /// Every out-of-range value, in grid-file order; empty when the spec is usable as far
    /// as can be told without the files (HypergridData's `DatasetRequest.splitSizes` checks
    /// the row counts against the files later).
    public func validationProblems() -> [ConfigProblem] {
        var list = ProblemList()
        list.check(.trainRows, trainRows)
        list.check(.validationRows, validationRows)
        list.check(.testRows, testRows)
        list.check(.pca, pcaVariance)
        // PCA is fitted on the training split and needs two rows (DatasetRequest checks the
        // same later, but here it fails before anything starts and names the key or flag).
        if pcaVariance != nil, let rows = trainRows, rows == 1 {
            list.problems.append(ConfigProblem(.trainRows, "must be at least 2 when PCA is on, got 1"))
        }
        return list.problems
    }
}
