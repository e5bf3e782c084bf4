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
    /// Every out-of-range value, in the order of ``TrialField/all``; empty when the
    /// trial can be trained. Types and the shape of the input (unknown keys, both
    /// iterations and epochs, …) are the front ends' to check; this is about values.
    public func validationProblems() -> [ConfigProblem] {
        TrialField.all.flatMap { $0.problems(self) }
    }

    /// ``validationProblems()`` plus the rules that need the dataset: a horizontal flip and a
    /// random crop move pixels, so they need rows that are still images — not PCA components,
    /// not synthetic data.
    public func validationProblems(for dataset: DatasetSpec) -> [ConfigProblem] {
        var problems = validationProblems()
        if flipsHorizontally, let reason = dataset.horizontalFlipProblem {
            problems.append(ConfigProblem(.horizontalFlip, reason))
        }
        if randomCrop != nil, let reason = dataset.horizontalFlipProblem {
            problems.append(ConfigProblem(.randomCrop, reason))
        }
        if labelSmoothing != nil, dataset.isRegression {
            problems.append(ConfigProblem(.labelSmoothing, "needs class labels; this dataset's targets are regression values"))
        }
        if mixup != nil, dataset.isRegression {
            problems.append(ConfigProblem(.mixUp, "needs class labels; this dataset's targets are regression values"))
        }
        return problems
    }
}

extension DatasetSpec {
    /// Why an augmentation that moves pixels (a horizontal flip, a random crop) cannot work on
    /// this data, or nil if it can.
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
