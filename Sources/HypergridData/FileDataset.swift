import Foundation

/// The datasets read from the user's own files (`csv`, `npy`, `npz`, `idx`): which files they
/// are, and loading them into splits.
enum FileDataset {
    /// A required path option as a file URL; `missingFile` when it is absent or not a file.
    static func url(_ path: String?, key: String, kind: String) throws -> URL {
        guard let path, !path.isEmpty else {
            throw DatasetError(.invalidParameter, "dataset.\(key) is missing: format \(kind) needs it.")
        }
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DatasetError(.missingFile, "The \(kind) file \(url.path) (dataset.\(key)) does not exist or is not a file.")
        }
        return url
    }

    /// The files whose contents identify the data, in a fixed order.
    static func sourceFiles(_ request: DatasetRequest) throws -> [URL] {
        let s = request.file ?? FileSource()
        switch request.kind {
        case .csv, .npz:
            let kind = request.kind.rawValue
            var files = [try url(request.directory, key: "path", kind: kind)]
            if let test = s.testPath { files.append(try url(test, key: "test_path", kind: kind)) }
            return files
        case .npy:
            return [try url(s.x, key: "x", kind: "npy"), try url(s.y, key: "y", kind: "npy")]
        case .idx:
            return [try url(s.images, key: "images", kind: "idx"), try url(s.labels, key: "labels", kind: "idx")]
        default:
            return []
        }
    }

    /// Reads, splits and encodes the dataset; `log` gets the notes (imputed cells, dropped rows …).
    static func load(_ request: DatasetRequest, log: ((String) -> Void)?) throws -> DatasetSplits {
        let source = request.file ?? FileSource()
        if request.testRows != nil && source.testPath != nil {
            throw DatasetError(.invalidParameter, "dataset.test and dataset.test_path both set the test split; give one.")
        }
        switch request.kind {
        case .csv:
            let url = try url(request.directory, key: "path", kind: "csv")
            let table = try CSVTableReader.read(url, options: source)
            var testTable: RawTable?
            if let testPath = source.testPath {
                // The test file's columns are found by name, in the training file's order.
                let kinds = Dictionary(uniqueKeysWithValues: zip(table.columnNames, table.kinds))
                var testOptions = source
                testOptions.features = table.columnNames
                testOptions.exclude = []
                testTable = try CSVTableReader.read(try FileDataset.url(testPath, key: "test_path", kind: "csv"),
                                                    options: testOptions, fixedKinds: kinds)
            }
            return try TableEncoder.encode(table, test: testTable, request: request, source: source, log: log)
        case .npy, .npz, .idx:
            return try ArrayDataset.load(request, source: source, log: log)
        default:
            preconditionFailure("not a file format: \(request.kind)")
        }
    }
}
