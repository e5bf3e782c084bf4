import Foundation

/// How a dataset read from the user's own files (CSV, NumPy, IDX) is read, encoded and split.
///
/// Maps 1:1 from `FileSourceSpec` of HypergridSearchSpace (which this module does not import).
/// The data file itself is ``DatasetRequest/directory`` for CSV and `.npz` (a file, not a
/// folder); `.npy` and IDX name their two files here.
public struct FileSource: Sendable, Hashable, Codable {
    /// What to do with a missing cell (empty, `NA`, `NaN`, `null` or `?`, in any case).
    public enum MissingPolicy: String, Sendable, Hashable, Codable, CaseIterable {
        /// The training split's mean (numbers) or most frequent category (text).
        case impute
        /// Drop the row (before splitting).
        case drop
        /// Stop with the file, line and column of the first missing cell.
        case error
    }

    /// Classification or regression; inferred from the label when `nil`.
    public enum Task: String, Sendable, Hashable, Codable, CaseIterable {
        case classification
        case regression
    }

    /// CSV: the label column's header name.
    public var label: String?
    /// CSV: the field delimiter (one character); `nil` detects `,` `;` tab or `|` from the header.
    public var delimiter: String?
    /// CSV: the feature columns, in this order; `nil` for every column but the label and `exclude`.
    public var features: [String]?
    /// CSV: columns to leave out.
    public var exclude: [String]
    public var missing: MissingPolicy
    public var task: Task?
    /// NPY: the features array file (`N × …`).
    public var x: String?
    /// NPY: the labels or targets array file (`N` or `N × T`).
    public var y: String?
    /// IDX: the images file (plain or `.gz`).
    public var images: String?
    /// IDX: the labels file (plain or `.gz`).
    public var labels: String?
    /// NPZ: the names of the features and labels arrays inside the archive.
    public var xName: String
    public var yName: String
    /// The validation split as a fraction of the rows (exclusive with `validationRows` of the request).
    public var validationFraction: Double?
    /// The test split as a fraction of the rows (exclusive with `testRows` and `testPath`).
    public var testFraction: Double?
    /// A second file in the same format (CSV or `.npz`) that is the test split.
    public var testPath: String?
    /// Seeds the shuffle that deals rows to the splits.
    public var splitSeed: UInt64

    /// Options; every field is described on its property.
    public init(label: String? = nil, delimiter: String? = nil, features: [String]? = nil,
                exclude: [String] = [], missing: MissingPolicy = .impute, task: Task? = nil,
                x: String? = nil, y: String? = nil, images: String? = nil, labels: String? = nil,
                xName: String = "x", yName: String = "y", validationFraction: Double? = nil,
                testFraction: Double? = nil, testPath: String? = nil, splitSeed: UInt64 = 0) {
        self.label = label
        self.delimiter = delimiter
        self.features = features
        self.exclude = exclude
        self.missing = missing
        self.task = task
        self.x = x
        self.y = y
        self.images = images
        self.labels = labels
        self.xName = xName
        self.yName = yName
        self.validationFraction = validationFraction
        self.testFraction = testFraction
        self.testPath = testPath
        self.splitSeed = splitSeed
    }

    /// The validation fraction when neither a fraction nor a row count is given.
    public static let defaultValidationFraction = 0.2

    /// The canonical text of every option that changes the prepared numbers, for the dataset
    /// fingerprint (paths are left out: the files' contents are hashed instead).
    public func canonicalText(validationRows: Int?, testRows: Int?, trainRows: Int?) -> String {
        func opt<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "-" }
        let validation = validationRows.map { "rows \($0)" } ?? "fraction \(validationFraction ?? Self.defaultValidationFraction)"
        let test = testPath != nil ? "file" : (testRows.map { "rows \($0)" } ?? "fraction \(testFraction ?? 0)")
        return [
            "table label \(opt(label)) delimiter \(opt(delimiter.map { $0.unicodeScalars.map { String($0.value) }.joined(separator: ",") }))",
            "features \(features.map { $0.map(Self.quoted).joined(separator: " ") } ?? "*") exclude \(exclude.map(Self.quoted).joined(separator: " "))",
            "missing \(missing.rawValue) task \(task?.rawValue ?? "auto") arrays \(Self.quoted(xName)) \(Self.quoted(yName))",
            "split validation \(validation) test \(test) train \(opt(trainRows)) seed \(splitSeed) stratified-by-class",
            "reader \(Self.readerVersion)",
        ].joined(separator: "\n")
    }

    /// Bump whenever the readers or the encoding change the numbers they produce.
    public static let readerVersion = 1

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
