#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous float32 storage that is either owned (allocated, 64-byte aligned)
/// or borrowed from a memory-mapped file, so that several worker processes can
/// share one cached dataset through the page cache instead of each holding a copy.
public final class FloatStorage: @unchecked Sendable {
    /// The first element. Valid for `count` elements while this object lives.
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    private let release: (() -> Void)?

    /// Allocates `count` zeroed floats, 64-byte aligned for the SIMD kernels.
    public init(zeroedCount count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        self.base = raw.assumingMemoryBound(to: Float.self)
        self.count = count
        self.release = { raw.deallocate() }
    }

    /// Wraps memory owned elsewhere (e.g. an `mmap`ed cache file); `release`
    /// runs once when this storage is freed (e.g. `munmap`).
    public init(borrowing base: UnsafeMutablePointer<Float>, count: Int, release: (() -> Void)?) {
        self.base = base
        self.count = count
        self.release = release
    }

    deinit { release?() }

    /// A buffer pointer over all elements.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base, count: count)
    }
}

/// `rows` examples of `columns` float32 features each (row-major) with a class label per row.
public struct LabeledMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major features: row `i` starts at `features.base + i * columns`.
    public let features: FloatStorage
    /// One class label per row, each `< classCount` of the owning dataset.
    public let labels: [Int32]
    /// Regression only: `rows × targetCount` row-major float targets; `nil` for
    /// classification, whose answers are `labels` (for regression `labels` are all 0).
    ///
    /// The targets are **standardised** with the training split's statistics, `(y − mean) /
    /// deviation` per column, as `InputSchema.Target.regression` says the network learns them;
    /// a figure in the target's own units is `value·deviation + mean` with that target's
    /// `mean` and `deviation` (``DatasetSplits/schema``).
    public var targets: [Float]? = nil
    /// Target columns per row for regression; 0 for classification.
    public var targetCount: Int = 0

    public init(rows: Int, columns: Int, features: FloatStorage, labels: [Int32]) {
        precondition(features.count >= rows * columns, "feature storage too small")
        precondition(labels.count == rows, "one label per row")
        self.rows = rows
        self.columns = columns
        self.features = features
        self.labels = labels
    }

    /// Copies `values` (row-major, `rows × columns`) into new owned storage.
    public init(rows: Int, columns: Int, values: [Float], labels: [Int32]) {
        precondition(values.count == rows * columns, "values must be rows × columns")
        let storage = FloatStorage(zeroedCount: rows * columns)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { storage.base.update(from: s, count: values.count) }
        }
        self.init(rows: rows, columns: columns, features: storage, labels: labels)
    }

    /// A pointer to row `i`.
    @inline(__always)
    public func row(_ i: Int) -> UnsafeMutablePointer<Float> { features.base + i * columns }
}

/// A dataset split three ways, as the seed: choose hyperparameters on `validation`,
/// report `test` once for the chosen configuration.
public struct DatasetSplits: @unchecked Sendable {
    /// Human-readable name, e.g. `cifar10` or `fashion-mnist`.
    public var name: String
    /// Network outputs: the number of classes, or for regression the number of target columns.
    public var classCount: Int
    public var train: LabeledMatrix
    public var validation: LabeledMatrix
    public var test: LabeledMatrix
    /// How each row's features form an image, while they are still pixels (raw, centred or
    /// standardised); nil for data that is not an image or no longer pixels (PCA).
    /// Augmentations that move pixels (horizontal flip) need it.
    public var imageLayout: ImageLayout?
    /// How raw rows became these features and what the outputs mean, fitted on the training
    /// split (see ``InputSchema``); set by every reader.
    public var schema: InputSchema?
    /// One line on how a user's file was read (rows, columns, features, imputed cells, dropped
    /// rows, unseen categories), for the log and the leaderboard's dataset line; `nil` for the
    /// built-in datasets.
    public var summary: String?
    /// Which of a user's file's rows each split holds (``SplitRows``); `nil` for the built-in
    /// datasets.
    public var splitRows: SplitRows?

    public init(name: String, classCount: Int, train: LabeledMatrix, validation: LabeledMatrix,
                test: LabeledMatrix, imageLayout: ImageLayout? = nil) {
        precondition(train.columns == validation.columns && train.columns == test.columns,
                     "all splits need the same feature count")
        precondition(imageLayout.map { $0.featureCount == train.columns } ?? true,
                     "an image layout must cover every feature")
        self.name = name
        self.classCount = classCount
        self.train = train
        self.validation = validation
        self.test = test
        self.imageLayout = imageLayout
    }

    /// Features per row.
    public var featureCount: Int { train.columns }
}

/// The pixel order of an image row: height × width × channels, channel fastest (pixel
/// (y, x, c) is feature `(y·width + x)·channels + c`), as both loaders write rows.
public struct ImageLayout: Sendable, Hashable, Codable {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Features per row.
    public var featureCount: Int { height * width * channels }

    /// The layout of `kind`'s standard files: CIFAR-10 32×32×3, (Fashion-)MNIST 28×28×1; nil
    /// for synthetic data. For cache files written before layouts were recorded.
    public static func standard(for kind: DatasetRequest.Kind) -> ImageLayout? {
        switch kind {
        case .cifar10: return ImageLayout(height: 32, width: 32, channels: 3)
        case .fashionMNIST, .mnist: return ImageLayout(height: 28, width: 28, channels: 1)
        case .synthetic, .csv, .npy, .npz, .idx: return nil
        }
    }
}
