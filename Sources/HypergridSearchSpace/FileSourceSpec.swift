/// How a dataset from the user's own files (`format: csv | npy | npz | idx`) is read, encoded
/// and split: the grid file's and `train`'s file keys. Mirrors HypergridData's `FileSource`
/// field for field (this module does not import that one).
///
/// `nil` for the built-in datasets, and omitted from their encodings, so that their specs
/// encode exactly as before these keys existed.
public struct FileSourceSpec: Codable, Sendable, Hashable {
    /// `missing:` — what to do with an empty, `NA`, `NaN`, `null` or `?` cell.
    public enum MissingPolicy: String, Codable, Sendable, CaseIterable {
        case impute, drop, error
    }

    /// `task:` — inferred from the label when absent. The one task type of every dataset
    /// (the grid key `dataset.task` and the `--task` flag are the same for a built-in dataset
    /// and a user's file); kept under this name for the file keys' code.
    public typealias Task = DatasetSpec.Task

    /// CSV: the label column.
    public var label: String?
    /// CSV: the delimiter; `nil` detects one.
    public var delimiter: String?
    /// CSV: the feature columns (default: all but the label and `exclude`).
    public var features: [String]?
    public var exclude: [String] = []
    public var missing: MissingPolicy = .impute
    public var task: Task?
    /// NPY: the features and labels files.
    public var x: String?
    public var y: String?
    /// IDX: the images and labels files.
    public var images: String?
    public var labels: String?
    /// NPZ: array names.
    public var xName: String = "x"
    public var yName: String = "y"
    /// `validation:` / `test:` as fractions (whole numbers of rows go to `DatasetSpec`'s row counts).
    public var validationFraction: Double?
    public var testFraction: Double?
    /// `test_path:` — a second file in the same format holding the test split.
    public var testPath: String?
    public var splitSeed: UInt64 = 0

    public init() {}

    /// The path-valued keys, for resolving relative paths: (key, value) pairs.
    public var paths: [(key: String, value: String)] {
        [("x", x), ("y", y), ("images", images), ("labels", labels), ("test_path", testPath)]
            .compactMap { k, v in v.map { (k, $0) } }
    }

    /// Rewrites every path key with `transform` (e.g. to make it absolute).
    public mutating func mapPaths(_ transform: (String) -> String) {
        x = x.map(transform); y = y.map(transform); images = images.map(transform)
        labels = labels.map(transform); testPath = testPath.map(transform)
    }
}
