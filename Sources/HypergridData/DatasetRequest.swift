import Foundation

/// Which dataset to load, how to split it and how to preprocess it.
///
/// Maps 1:1 from the run-level `DatasetSpec` of HypergridSearchSpace (which this module does
/// not import): `kind` by raw value, `path` → `directory`, the three row counts, `standardize`
/// and `pcaVariance` as they are. The `synthetic*` fields have no counterpart there and keep
/// their defaults when a spec is mapped.
///
/// Preprocessing follows the reference procedure (`cifar_data.py`): the training mean is always
/// subtracted; `standardize` also divides each feature by its training deviation; PCA works on
/// standardised data, so a `pcaVariance` implies standardisation whatever `standardize` says.
public struct DatasetRequest: Sendable, Hashable, Codable {
    /// What the labels are: classes, or float targets to regress. Raw values match
    /// `DatasetSpec.Task`.
    public enum Task: String, Sendable, Hashable, Codable, CaseIterable {
        case classification
        case regression
    }

    /// The dataset families hypergrid can read. Raw values match `DatasetSpec.Kind`.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// CIFAR-10, binary version (`data_batch_1..5.bin`, `test_batch.bin`).
        case cifar10
        /// Fashion-MNIST in IDX files, plain or `.gz`.
        case fashionMNIST = "fashion-mnist"
        /// MNIST in IDX files, plain or `.gz`.
        case mnist
        /// Seeded class-dependent Gaussian clusters, generated in memory (no files).
        case synthetic
        /// A CSV table (``FileSource``): `directory` is the file.
        case csv
        /// A `.npy` pair: `file.x` and `file.y`.
        case npy
        /// A `.npz` archive: `directory` is the file.
        case npz
        /// An IDX pair of any MNIST-family dataset: `file.images` and `file.labels`.
        case idx

        /// Whether the data comes from the user's own files, named by path, rather than a
        /// built-in dataset's folder.
        public var isFileFormat: Bool {
            switch self {
            case .csv, .npy, .npz, .idx: return true
            case .cifar10, .fashionMNIST, .mnist, .synthetic: return false
            }
        }
    }

    public var kind: Kind
    /// Folder with the dataset's files; `nil` means ``defaultDirectory(for:)``.
    public var directory: String?
    /// Training rows: the first `trainRows` rows of the training files.
    /// `nil` means every training row not used for validation.
    public var trainRows: Int?
    /// Validation rows: the `validationRows` training-file rows right after the training rows.
    /// `nil` means 1,000 for CIFAR-10 and synthetic data, 5,000 for (Fashion-)MNIST.
    public var validationRows: Int?
    /// Test rows: the first `testRows` rows of the test files. `nil` means 1,000 for CIFAR-10
    /// and synthetic data and the whole official test set (10,000) for (Fashion-)MNIST;
    /// `0` means no test split, and then CIFAR-10's `test_batch.bin` may be absent.
    public var testRows: Int?
    /// Divide each (centred) feature by its training-split population deviation (+1e-8).
    public var standardize: Bool
    /// Keep the smallest number of principal components whose share of the training variance
    /// is at least this fraction, in (0, 1]; `nil` for no PCA.
    public var pcaVariance: Double?
    /// Synthetic data only: features per row.
    public var syntheticFeatures: Int
    /// Synthetic data only: number of classes (clusters).
    public var syntheticClasses: Int
    /// Synthetic data only: seeds the cluster centres and every row.
    public var syntheticSeed: UInt64
    /// The built-in datasets' task: classification (their labels), or for synthetic data
    /// regression (``SyntheticDataset/generateRegression(sizes:features:targets:seed:)``'s
    /// rows). A user's file says its own in `file.task` (or it is inferred from the label).
    public var task: Task
    /// Synthetic regression only: target columns per row.
    public var syntheticTargets: Int
    /// The user's-files formats only (`csv`, `npy`, `npz`, `idx`): how the files are read,
    /// encoded and split; `nil` means the defaults. For `csv` and `npz`, `directory` is the
    /// data file's path. `validationRows`, `testRows` and `trainRows` count rows as for the
    /// built-in datasets, and `file.validationFraction` / `testFraction` are the alternative.
    public var file: FileSource? = nil

    /// A request; every field is described on its property.
    public init(kind: Kind, directory: String? = nil, trainRows: Int? = nil,
                validationRows: Int? = nil, testRows: Int? = nil, standardize: Bool = true,
                pcaVariance: Double? = nil, syntheticFeatures: Int = 64, syntheticClasses: Int = 10,
                syntheticSeed: UInt64 = 0, task: Task = .classification, syntheticTargets: Int = 1) {
        self.kind = kind
        self.directory = directory
        self.trainRows = trainRows
        self.validationRows = validationRows
        self.testRows = testRows
        self.standardize = standardize
        self.pcaVariance = pcaVariance
        self.syntheticFeatures = syntheticFeatures
        self.syntheticClasses = syntheticClasses
        self.syntheticSeed = syntheticSeed
        self.task = task
        self.syntheticTargets = syntheticTargets
    }

    /// Where each kind's files are looked for when `directory` is `nil`.
    ///
    /// Fashion-MNIST: `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`).
    /// CIFAR-10 and MNIST: `data/<name>` under `workingDirectory` when that folder exists —
    /// where `scripts/download-cifar10.sh` puts CIFAR-10 without an argument, and the path the
    /// example grids name — else `$XDG_DATA_HOME/hypergrid/<name>` (or
    /// `~/.local/share/hypergrid/…`), where `scripts/download-cifar10.sh ~/.local/share/hypergrid`
    /// puts it. Synthetic data and users' files have none.
    public static func defaultDirectory(for kind: Kind,
                                        workingDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        let env = ProcessInfo.processInfo.environment
        let dataHome = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        func local(_ name: String) -> String {
            let relative = "data/" + name
            var isDirectory: ObjCBool = false
            let here = (workingDirectory as NSString).appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: here, isDirectory: &isDirectory), isDirectory.boolValue {
                return here
            }
            return (dataHome as NSString).appendingPathComponent("hypergrid/" + name)
        }
        switch kind {
        case .fashionMNIST: return "/usr/share/datasets/fashion-mnist"
        case .cifar10: return local("cifar-10-batches-bin")
        case .mnist: return local("mnist")
        case .synthetic, .csv, .npy, .npz, .idx: return nil
        }
    }

    /// The folder actually read: `directory` or the kind's default (`nil` for synthetic data).
    public var resolvedDirectory: URL? {
        guard kind != .synthetic, !kind.isFileFormat, let dir = directory ?? Self.defaultDirectory(for: kind) else {
            return nil
        }
        return URL(fileURLWithPath: dir, isDirectory: true)
    }

    /// Whether features are divided by their deviation: asked for, or implied by PCA.
    public var dividesByDeviation: Bool { standardize || pcaVariance != nil }

    /// The number of classes of this kind of dataset (the built-in ones; a user's file says
    /// its own, known once it is read); for synthetic regression, the target columns (the
    /// network's outputs).
    public var classCount: Int { task == .regression ? syntheticTargets : kind == .synthetic ? syntheticClasses : 10 }

    /// Checks the fields that do not depend on the files; throws ``DatasetError`` (`invalidParameter`).
    public func validateParameters() throws {
        if let v = pcaVariance, !(v > 0 && v <= 1) {
            throw DatasetError(.invalidParameter, "pcaVariance \(v) is outside (0, 1]: give the fraction of variance PCA keeps, e.g. 0.9.")
        }
        for (name, value) in [("trainRows", trainRows), ("validationRows", validationRows), ("testRows", testRows)] {
            if let v = value, v < 0 {
                throw DatasetError(.invalidParameter, "\(name) \(v) must not be negative.")
            }
        }
        if trainRows == 0 {
            throw DatasetError(.invalidParameter, "trainRows must be at least 1, since preprocessing is fitted on the training split.")
        }
        if pcaVariance != nil, let t = trainRows, t < 2 {
            throw DatasetError(.invalidParameter, "trainRows \(t) is too few for PCA, which needs at least 2 training rows.")
        }
        if task == .regression && kind != .synthetic {
            throw DatasetError(.invalidParameter, "task regression needs float targets, but \(kind.rawValue) has class labels; use task classification.")
        }
        if kind.isFileFormat, let f = file {
            for (name, value) in [("validation", f.validationFraction), ("test", f.testFraction)] {
                if let v = value, !(v >= 0 && v < 1) {
                    throw DatasetError(.invalidParameter, "\(name) \(v) must be a fraction in [0, 1) or a whole number of rows.")
                }
            }
            if (f.validationFraction ?? 0) + (f.testFraction ?? 0) >= 1 {
                throw DatasetError(.invalidParameter, "validation and test fractions add up to \((f.validationFraction ?? 0) + (f.testFraction ?? 0)), leaving no training rows.")
            }
        }
        if kind == .synthetic {
            if syntheticFeatures < 1 {
                throw DatasetError(.invalidParameter, "syntheticFeatures \(syntheticFeatures) must be at least 1.")
            }
            if syntheticClasses < 2 || syntheticClasses > Int(Int32.max) {
                throw DatasetError(.invalidParameter, "syntheticClasses \(syntheticClasses) must be at least 2.")
            }
            if syntheticTargets < 1 {
                throw DatasetError(.invalidParameter, "syntheticTargets \(syntheticTargets) must be at least 1.")
            }
        }
    }

    /// Resolves the split sizes given how many rows the training and test files hold,
    /// applying the kind's defaults; throws ``DatasetError`` (`notEnoughRows`) when they do not fit.
    public func splitSizes(availableTraining: Int, availableTest: Int) throws -> SplitSizes {
        try validateParameters()
        let name = kind.rawValue
        let validation = validationRows ?? (kind == .fashionMNIST || kind == .mnist ? 5_000 : 1_000)
        let test = testRows ?? (kind == .fashionMNIST || kind == .mnist ? availableTest : 1_000)
        if validation > availableTraining {
            throw DatasetError(.notEnoughRows, "validationRows \(grouped(validation)) is more than the \(grouped(availableTraining)) training rows of \(name).")
        }
        if trainRows == nil && validation == availableTraining {
            throw DatasetError(.notEnoughRows, "validationRows \(grouped(validation)) leaves no training rows of the \(grouped(availableTraining)) in \(name).")
        }
        let train = trainRows ?? (availableTraining - validation)
        if train + validation > availableTraining {
            throw DatasetError(.notEnoughRows, "trainRows \(grouped(train)) plus validationRows \(grouped(validation)) is more than the \(grouped(availableTraining)) training rows of \(name).")
        }
        if test > availableTest {
            throw DatasetError(.notEnoughRows, "testRows \(grouped(test)) is more than the \(grouped(availableTest)) test rows of \(name).")
        }
        if pcaVariance != nil && train < 2 {
            throw DatasetError(.invalidParameter, "trainRows \(train) is too few for PCA, which needs at least 2 training rows.")
        }
        return SplitSizes(train: train, validation: validation, test: test)
    }
}

/// Resolved row counts of the three splits.
public struct SplitSizes: Sendable, Hashable, Codable, CustomStringConvertible {
    public var train: Int
    public var validation: Int
    public var test: Int

    /// Row counts of the training, validation and test splits.
    public init(train: Int, validation: Int, test: Int) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    public var description: String { "train \(train), validation \(validation), test \(test)" }
}
