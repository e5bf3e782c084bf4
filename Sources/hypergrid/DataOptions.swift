import ArgumentParser
import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridSearchSpace
import HypergridTraining

/// Dataset flags shared by the commands that load data themselves.
struct DataOptions: ParsableArguments {
    @Option(help: "cifar10, fashion-mnist, mnist or synthetic.")
    var dataset: String = "fashion-mnist"
    @Option(help: "Folder with the dataset's files (default: /usr/share/datasets/fashion-mnist; for cifar10 and mnist ./data/cifar-10-batches-bin or ./data/mnist if present, else $XDG_DATA_HOME or ~/.local/share, then hypergrid/cifar-10-batches-bin or hypergrid/mnist).")
    var data: String?
    @Option(help: "Keep this fraction of variance with PCA (after standardising), in (0, 1].")
    var pca: Double?
    @Flag(name: .customLong("no-standardize"), help: "Only centre features; do not divide by their deviation.")
    var noStandardize = false
    @Option(name: .customLong("train-rows"), help: "Training rows (default: all not used for validation).")
    var trainRows: Int?
    @Option(name: .customLong("validation-rows"), help: "Validation rows (CIFAR-10: 1,000; Fashion-MNIST: 5,000).")
    var validationRows: Int?
    @Option(name: .customLong("test-rows"), help: "Test rows (CIFAR-10: 1,000; Fashion-MNIST: 10,000).")
    var testRows: Int?
    @Option(name: .customLong("cache-dir"), help: "Where preprocessed data is cached (default ~/.cache/hypergrid).")
    var cacheDir: String?
    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the preprocessed-data cache.")
    var noCache = false
    @OptionGroup var file: FileDataOptions

    func validate() throws {
        guard let kind = DatasetSpec.Kind(rawValue: dataset), !kind.isFileFormat else {
            throw ValidationError("--dataset must be one of \(DatasetSpec.Kind.builtIn.map(\.rawValue).joined(separator: ", ")) (or --format csv|npy|npz|idx for your own file); got '\(dataset)'.")
        }
        if let problem = try spec().validationProblems().first { throw problem.validationError }
    }

    /// The run-level dataset description these flags spell.
    func spec() throws -> DatasetSpec {
        var spec = DatasetSpec(kind: DatasetSpec.Kind(rawValue: dataset)!, path: data, trainRows: trainRows,
                               validationRows: validationRows, testRows: testRows,
                               standardize: !noStandardize, pcaVariance: pca)
        try file.apply(to: &spec, path: data)
        // `--task` without `--format`: a built-in dataset's (only synthetic data has float targets).
        if file.format == nil, let task = file.task {
            guard let t = DatasetSpec.Task(rawValue: task) else {
                throw ValidationError("--task must be classification or regression; got '\(task)'.")
            }
            if t == .regression && spec.kind != .synthetic {
                throw ValidationError("--task regression needs float targets, but \(dataset) has class labels.")
            }
            spec.task = t
        }
        return spec
    }

    /// Loads, splits and preprocesses the data (through the cache).
    func prepare(log: @escaping (String) -> Void) throws -> PreparedDataset {
        try prepareDataset(DatasetRequest(spec: try spec()),
                           cacheDirectory: cacheDir.map { URL(fileURLWithPath: $0) },
                           useCache: !noCache, log: log)
    }
}

extension ConfigProblem {
    /// The problem as a usage error naming the flag, e.g. `--lr must be positive, got -1.0.`
    var validationError: ValidationError { ValidationError("\(field.flag) \(message).") }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
