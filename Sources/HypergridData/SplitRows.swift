/// Which rows of a user's file went to each split, so that a person or another tool (e.g.
/// scripts/compare-sklearn, which hands scikit-learn the same rows) can check them without
/// re-implementing the seeded, stratified split: `hypergrid run` writes them into the run
/// directory's `dataset.json`.
///
/// For a CSV file the rows are named by their 1-based line number in the file (the header is
/// line 1, so without quoted line breaks data row `i`, counted from 0, is line `i + 2`); for
/// `.npy`/`.npz` arrays by their 0-based row index. Rows dropped for missing cells are in no
/// split. Rows of a separate test file are not listed (its test split is all of it).
public struct SplitRows: Codable, Sendable, Hashable {
    /// How the numbers name rows.
    public enum Unit: String, Codable, Sendable {
        /// 1-based line numbers of a CSV file.
        case line
        /// 0-based row indices of an array.
        case row
    }
    public var unit: Unit
    /// Ascending (file order).
    public var train: [Int]
    public var validation: [Int]
    /// Empty when the test split is another file (or there is none).
    public var test: [Int]

    public init(unit: Unit, train: [Int], validation: [Int], test: [Int]) {
        (self.unit, self.train, self.validation, self.test) = (unit, train, validation, test)
    }
}
