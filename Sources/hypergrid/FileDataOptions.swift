import ArgumentParser
import Foundation
import HypergridSearchSpace

/// The `train` flags for a dataset from the user's own files: the grid file's `dataset:` keys
/// of `format: csv | npy | npz | idx`, one flag each.
struct FileDataOptions: ParsableArguments {
    @Option(help: "Your own data file's format: csv, npy, npz or idx (instead of --dataset; --data is the CSV or .npz file).")
    var format: String?
    @Option(help: "CSV: the column to predict.")
    var label: String?
    @Option(help: "CSV: the delimiter (one character, or tab); detected from the header when absent.")
    var delimiter: String?
    @Option(help: "CSV: feature columns, comma-separated (default: every column but the label and --exclude).")
    var features: String?
    @Option(help: "CSV: columns to leave out, comma-separated.")
    var exclude: String?
    @Option(help: "Missing cells (empty, NA, NaN, null, ?): impute (training mean / most frequent category), drop (the row) or error.")
    var missing: String = "impute"
    @Option(help: "classification or regression (default: regression when the label is floating point; with --dataset synthetic, regression makes float targets).")
    var task: String?
    @Option(name: .customLong("x"), help: "NPY: the features array file.")
    var xFile: String?
    @Option(name: .customLong("y"), help: "NPY: the labels or targets array file.")
    var yFile: String?
    @Option(help: "IDX: the images file (plain or .gz).")
    var images: String?
    @Option(help: "IDX: the labels file (plain or .gz).")
    var labels: String?
    @Option(name: .customLong("x-name"), help: "NPZ: the features array's name (default x).")
    var xName: String = "x"
    @Option(name: .customLong("y-name"), help: "NPZ: the labels array's name (default y).")
    var yName: String = "y"
    @Option(help: "Validation split: a fraction (0.2, the default) or a number of rows.")
    var validation: String?
    @Option(help: "Test split: a fraction or a number of rows (default none).")
    var test: String?
    @Option(name: .customLong("test-path"), help: "CSV/NPZ: a second file in the same format holding the test split.")
    var testPath: String?
    @Option(name: .customLong("split-seed"), help: "Seeds the shuffle that deals rows to the splits.")
    var splitSeed: UInt64 = 0

    /// Applies these flags to `spec` (whose kind is `format`'s), throwing a usage error naming the flag.
    func apply(to spec: inout DatasetSpec, path: String?) throws {
        guard let format else {
            // `--task` is not in the list: it is the one task flag of every dataset, and a
            // built-in dataset's is checked by DataOptions.spec().
            let given: [(String, Any?)] = [("--label", label), ("--delimiter", delimiter), ("--features", features),
                                           ("--exclude", exclude), ("--x", xFile), ("--y", yFile),
                                           ("--images", images), ("--labels", labels), ("--validation", validation),
                                           ("--test", test), ("--test-path", testPath)]
            if let flag = given.first(where: { $0.1 != nil }) {
                throw ValidationError("\(flag.0) applies to your own files: give --format csv, npy, npz or idx too.")
            }
            return
        }
        guard let kind = DatasetSpec.Kind(rawValue: format), kind.isFileFormat else {
            throw ValidationError("--format must be one of csv, npy, npz, idx; got '\(format)'.")
        }
        spec.kind = kind
        var f = FileSourceSpec()
        f.label = label
        f.delimiter = delimiter
        f.features = features.map(Self.list)
        f.exclude = exclude.map(Self.list) ?? []
        guard let policy = FileSourceSpec.MissingPolicy(rawValue: missing) else {
            throw ValidationError("--missing must be impute, drop or error; got '\(missing)'.")
        }
        f.missing = policy
        if let task {
            guard let t = FileSourceSpec.Task(rawValue: task) else {
                throw ValidationError("--task must be classification or regression; got '\(task)'.")
            }
            f.task = t
        }
        f.x = xFile; f.y = yFile; f.images = images; f.labels = labels
        f.xName = xName; f.yName = yName; f.testPath = testPath; f.splitSeed = splitSeed
        if let v = validation {
            switch try Self.amount(v, flag: "--validation") {
            case .rows(let n): spec.validationRows = n
            case .fraction(let x): f.validationFraction = x
            }
        }
        if let v = test {
            if testPath != nil { throw ValidationError("--test and --test-path both set the test split; give one.") }
            switch try Self.amount(v, flag: "--test") {
            case .rows(let n): spec.testRows = n
            case .fraction(let x): f.testFraction = x
            }
        }
        let needs: [(String, Any?)]
        switch kind {
        case .csv: needs = [("--data (the CSV file)", path), ("--label", label)]
        case .npz: needs = [("--data (the .npz file)", path)]
        case .npy: needs = [("--x", xFile), ("--y", yFile)]
        default: needs = [("--images", images), ("--labels", labels)]
        }
        if let missing = needs.first(where: { $0.1 == nil }) {
            throw ValidationError("--format \(format) needs \(missing.0).")
        }
        spec.file = f
    }

    private enum Amount { case rows(Int), fraction(Double) }

    private static func amount(_ text: String, flag: String) throws -> Amount {
        if let n = Int(text), n >= 0 { return .rows(n) }
        if let x = Double(text), x >= 0, x < 1 { return .fraction(x) }
        throw ValidationError("\(flag) must be a fraction in [0, 1) or a whole number of rows; got '\(text)'.")
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
