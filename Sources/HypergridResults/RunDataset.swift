import Foundation
import HypergridFiles

/// What a run trained on: `RUN_DIR/dataset.json`, written by the coordinator once it has
/// prepared the data. The leaderboard's and the report's dataset line come from it (how many
/// rows each split holds, how the user's file was read: imputed cells, dropped rows), and so
/// do the rows of each split, for anyone who wants to train another tool on the very same
/// rows (scripts/compare-sklearn does).
public struct RunDataset: Codable, Sendable, Equatable {
    /// Which rows of the user's file each split holds; see HypergridData's `SplitRows`.
    public struct Rows: Codable, Sendable, Equatable {
        /// `line`: 1-based line numbers of a CSV file (the header is line 1); `row`: 0-based
        /// row indices of an array.
        public var unit: String
        public var train: [Int]
        public var validation: [Int]
        /// Empty when the test split is a separate file, or when there is none.
        public var test: [Int]

        public init(unit: String, train: [Int], validation: [Int], test: [Int]) {
            (self.unit, self.train, self.validation, self.test) = (unit, train, validation, test)
        }
    }

    /// The dataset's name (a file's name for the user's own data).
    public var name: String
    /// The prepared dataset's fingerprint (the one trial ids hash).
    public var fingerprint: String
    public var trainRows: Int
    public var validationRows: Int
    public var testRows: Int
    public var features: Int
    /// How a user's file was read: rows, columns, features, the task, and the missing values
    /// imputed or the rows dropped; nil for the built-in datasets.
    public var summary: String?
    public var splitRows: Rows?

    public init(name: String, fingerprint: String, trainRows: Int, validationRows: Int, testRows: Int, features: Int,
                summary: String? = nil, splitRows: Rows? = nil) {
        (self.name, self.fingerprint, self.summary, self.splitRows) = (name, fingerprint, summary, splitRows)
        (self.trainRows, self.validationRows, self.testRows, self.features) = (trainRows, validationRows, testRows, features)
    }

    /// The file's name inside a run directory.
    public static let fileName = "dataset.json"

    /// One line for people: `dataset: diabetes.csv: 442 rows, … ; imputed 3 missing cells;
    /// train 354, validation 88, test 0 rows`.
    public var line: String {
        let splits = "train \(trainRows), validation \(validationRows), test \(testRows) rows of \(features) features"
        return "dataset: " + (summary.map { "\($0); \(splits)" } ?? "\(name), \(splits)")
    }

    /// Writes `directory/dataset.json` durably (a reader sees the old file or the new one).
    public func write(toRunDirectory directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.replace(directory + "/" + Self.fileName, with: Array(try encoder.encode(self)) + [0x0A])
    }

    /// The run directory's dataset record; nil when it has none (runs from before it was
    /// written) or it cannot be read: the dataset line is a courtesy, never a reason to fail.
    public static func read(runDirectory directory: String) -> RunDataset? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(RunDataset.self, from: data)
    }
}
