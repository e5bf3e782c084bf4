import Foundation

/// The optimizer a trial trains with.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// Plain stochastic gradient descent: `w -= lr·g`.
    case sgd
    /// SGD with classical (heavy-ball) momentum.
    case momentum
    /// SGD with Nesterov momentum.
    case nesterov
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    case adam
}

/// How weights are initialised; biases always start at zero.
public enum InitScheme: Codable, Sendable, Hashable {
    /// Gaussian with a fixed standard deviation (the seed's `std = 1e-4`).
    case gaussian(std: Double)
    /// He et al. (2015): Gaussian with `std = sqrt(2 / fan_in)`.
    case he

    /// The canonical text form used in grid files, CLI flags and the leaderboard:
    /// `he` or `std=1e-4`.
    public var description: String {
        switch self {
        case .he: return "he"
        case .gaussian(let std): return "std=\(std)"
        }
    }

    /// Parses `he`, `std=0.0001` or a bare number (a standard deviation).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "he" { self = .he; return }
        let number = t.hasPrefix("std=") ? String(t.dropFirst(4)) : t
        guard let std = Double(number), std > 0, std.isFinite else { return nil }
        self = .gaussian(std: std)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let scheme = InitScheme(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "init must be 'he' or a positive standard deviation, got '\(text)'"))
        }
        self = scheme
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// How long a trial trains.
public enum TrainingLength: Codable, Sendable, Hashable {
    /// A fixed number of minibatch iterations (the seed's `num_iters`).
    case iterations(Int)
    /// Whole epochs; an epoch is `max(trainRows / batchSize, 1)` iterations.
    case epochs(Int)

    /// The number of iterations for a training split of `trainRows` rows.
    public func iterationCount(trainRows: Int, batchSize: Int) -> Int {
        switch self {
        case .iterations(let n): return n
        case .epochs(let e): return e * max(trainRows / batchSize, 1)
        }
    }
}

/// Every hyperparameter of one trial: the model and how it is trained.
///
/// The dataset and its preprocessing are the run's, not the trial's (see ``DatasetSpec``);
/// a trial id hashes both (see ``TrialID``).
public struct TrialConfig: Codable, Sendable, Hashable {
    /// Hidden layer widths, input side first: `[256]` is the seed's two-layer net.
    public var hidden: [Int]
    /// BatchNorm1d after each hidden affine layer (before ReLU).
    public var batchNorm: Bool
    public var optimizer: OptimizerKind
    /// Momentum coefficient for `.momentum` and `.nesterov` (ignored otherwise).
    public var momentum: Double
    public var learningRate: Double
    /// The learning rate is multiplied by this after every epoch (the seed: 0.95).
    public var learningRateDecay: Double
    /// L2 strength: the loss adds `reg·Σ‖W‖²` over weight matrices only.
    public var reg: Double
    public var batchSize: Int
    public var length: TrainingLength
    public var initScheme: InitScheme
    /// Seeds weight initialisation and minibatch sampling.
    public var seed: UInt64
    /// Record the training loss every this many iterations.
    public var lossEvery: Int
    /// Successive halving's budget: train only the first this many epochs of `length`'s
    /// schedule (the learning-rate schedule still runs over the whole `length`); `nil`
    /// trains all of it. Trial ids hash it only when set, so plain trials keep their ids.
    /// See `TrialConfig+Search.swift`.
    public var stopAfterEpochs: Int? = nil
    /// Set on the final refit trial only: which splits it trains on. Such a trial is the only
    /// one that measures test accuracy. `nil` (every searched trial) is omitted from the id.
    public var refit: RefitData? = nil

    // Model features (issue #8), described in TrialConfig+Features.swift. Optional, and nil
    // when off, so that a config without them encodes — and hashes to a trial id — exactly
    // as before they existed.
    /// Inverted-dropout rate after every hidden ReLU, in (0, 1); nil for none.
    public var dropout: Double?
    /// Mirror each training image left to right with probability 1/2; nil for never.
    public var horizontalFlip: Bool?
    /// How the learning rate moves during training; nil for the per-epoch step decay.
    public var schedule: LearningRateSchedule?
    /// Epochs of linear learning-rate warm-up at the start, > 0; nil for none.
    public var warmupEpochs: Double?

    // Early stopping (issue 15), described in TrialConfig+EarlyStop.swift; nil when off, so
    // that configs without it keep their trial ids and wire bytes.
    /// Stop once the validation metric has not improved for this many epochs in a row, and
    /// keep the best epoch's weights; nil (or 0 in a grid file) never stops early.
    public var earlyStop: Int? = nil
    /// How much the validation metric must improve to count, in its own units (accuracy as a
    /// fraction, RMSE in the targets' units); nil for any improvement at all.
    public var earlyStopTolerance: Double? = nil

    // Training features of issue 19, joined through the field table (TrialFieldTable.swift,
    // `added:`); nil when off, so that configs without them keep their trial ids.
    /// Random translations of each training image by up to this many pixels in x and y, with
    /// zero fill (a random crop of the zero-padded image), > 0; nil for none.
    public var randomCrop: Int? = nil
    /// Label smoothing ε of the cross-entropy, in (0, 1); nil for none.
    public var labelSmoothing: Double? = nil
    /// Decoupled weight decay W (AdamW): weights shrink by `lr·W·w` every step, > 0; nil for none.
    public var weightDecay: Double? = nil
    /// Visit the training rows in a fresh random order every epoch (each row once per epoch,
    /// the last `rows mod batch` of the order left out) instead of drawing every batch with
    /// replacement; nil (or false) for the seed's sampling with replacement.
    public var shuffle: Bool? = nil
    /// MixUp's α (Zhang et al. 2018): every training minibatch is mixed with itself shifted by
    /// one row, inputs and targets, by a weight λ ~ Beta(α, α) drawn per step; in (0, 4], nil
    /// (or 0) for none.
    public var mixup: Double? = nil

    public init(hidden: [Int] = [256], batchNorm: Bool = false, optimizer: OptimizerKind = .sgd,
                momentum: Double = 0.9, learningRate: Double = 1e-3, learningRateDecay: Double = 0.95,
                reg: Double = 0, batchSize: Int = 200, length: TrainingLength = .iterations(1000),
                initScheme: InitScheme = .gaussian(std: 1e-4), seed: UInt64 = 0, lossEvery: Int = 1) {
        self.hidden = hidden
        self.batchNorm = batchNorm
        self.optimizer = optimizer
        self.momentum = momentum
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.reg = reg
        self.batchSize = batchSize
        self.length = length
        self.initScheme = initScheme
        self.seed = seed
        self.lossEvery = lossEvery
    }
}

/// Which dataset a run trains on, and how it is split and preprocessed.
public struct DatasetSpec: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case cifar10
        case fashionMNIST = "fashion-mnist"
        case mnist
        case synthetic
        // The user's own files (`format:` in a grid file).
        case csv
        case npy
        case npz
        case idx

        /// The built-in datasets (`name:`), as opposed to the user's files (`format:`).
        public static var builtIn: [Kind] { [.cifar10, .fashionMNIST, .mnist, .synthetic] }
        /// The file formats.
        public static var fileFormats: [Kind] { [.csv, .npy, .npz, .idx] }
        public var isFileFormat: Bool { Self.fileFormats.contains(self) }
    }
    /// What the labels are: classes, or float targets to regress (`dataset.task`).
    public enum Task: String, Codable, Sendable, CaseIterable {
        case classification
        case regression
    }
    public var kind: Kind
    /// Folder with the dataset's files; `nil` means the kind's default location. For `csv`
    /// and `npz`, the data file.
    public var path: String?
    /// Rows used for training, validation and test; `nil` means the kind's default split.
    public var trainRows: Int?
    public var validationRows: Int?
    public var testRows: Int?
    /// Standardise each feature with the training split's mean and deviation.
    public var standardize: Bool
    /// Keep this fraction of variance with PCA after standardising; `nil` for none.
    public var pcaVariance: Double?
    /// The file keys of `csv`, `npy`, `npz` and `idx` datasets; `nil` for the built-in ones.
    public var file: FileSourceSpec? = nil
    /// A built-in dataset's task: `nil` (classification: their labels are classes) or, for
    /// synthetic data, regression (`dataset: {name: synthetic, task: regression}`). A user's
    /// file says its own in `file.task`, or it is inferred from its label column. Absent from
    /// the JSON when `nil`.
    public var task: Task?

    public init(kind: Kind, path: String? = nil, trainRows: Int? = nil, validationRows: Int? = nil,
                testRows: Int? = nil, standardize: Bool = true, pcaVariance: Double? = nil,
                task: Task? = nil) {
        self.kind = kind
        self.path = path
        self.trainRows = trainRows
        self.validationRows = validationRows
        self.testRows = testRows
        self.standardize = standardize
        self.pcaVariance = pcaVariance
        self.task = task
    }

    /// True for regression: results carry RMSE, MAE and R², ranked by RMSE (lower is better).
    public var isRegression: Bool { task == .regression }
}
