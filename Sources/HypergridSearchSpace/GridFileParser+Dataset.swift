import Yams

/// The `dataset:` keys of a user's own file (`format: csv | npy | npz | idx`).
///
/// ```yaml
/// dataset: {format: csv, path: data/customers.csv, label: churned, missing: impute,
///           validation: 0.2, test: 0.1, split_seed: 7}
/// dataset: {format: npy, x: X.npy, y: y.npy}
/// dataset: {format: npz, path: data.npz, x_name: images, y_name: targets}
/// dataset: {format: idx, images: emnist-letters-train-images-idx3-ubyte.gz, labels: …}
/// ```
extension GridFileParser {
    /// Keys only a user's file takes (beyond path, the row counts, standardize and pca).
    static let fileDatasetKeys = ["format", "label", "delimiter", "features", "exclude", "missing", "task",
                                  "x", "y", "images", "labels", "x_name", "y_name", "validation", "test",
                                  "test_path", "split_seed"]

    /// Which keys each format takes (besides the common ones).
    private static let formatKeys: [DatasetSpec.Kind: Set<String>] = [
        .csv: ["path", "label", "delimiter", "features", "exclude", "missing", "task", "test_path"],
        .npy: ["x", "y", "task"],
        .npz: ["path", "x_name", "y_name", "task", "test_path"],
        .idx: ["images", "labels"],
    ]
    private static let commonFileKeys: Set<String> = ["format", "train_rows", "validation_rows", "test_rows",
                                                      "standardize", "pca", "validation", "test", "split_seed"]

    static func parseFileDataset(_ m: [String: Node], format node: Node, node datasetNode: Node,
                                 _ r: NodeReader) throws -> DatasetSpec {
        let text = try r.string(node, key: "dataset.format")
        guard let kind = DatasetSpec.Kind(rawValue: text), kind.isFileFormat else {
            throw r.error(node, "dataset.format", "unknown format '\(text)'; one of csv, npy, npz, idx (or dataset.name for a built-in dataset)")
        }
        let allowed = formatKeys[kind]!.union(commonFileKeys)
        for (key, value) in m where !allowed.contains(key) {
            throw r.error(value, "dataset.\(key)", "does not apply to format \(text); it takes \(allowed.subtracting(["format"]).sorted().joined(separator: ", "))")
        }
        var spec = DatasetSpec(kind: kind)
        var file = FileSourceSpec()
        func path(_ key: String) throws -> String? { try m[key].map { try r.string($0, key: "dataset.\(key)") } }
        func require(_ key: String, _ what: String) throws -> String {
            guard let v = try path(key) else { throw r.error(datasetNode, "dataset.\(key)", "is missing; format \(text) needs \(what)") }
            return v
        }
        switch kind {
        case .csv:
            spec.path = try require("path", "the CSV file's path")
            file.label = try require("label", "the name of the column to predict")
        case .npz:
            spec.path = try require("path", "the .npz file's path")
        case .npy:
            file.x = try require("x", "the features array (x: X.npy)")
            file.y = try require("y", "the labels array (y: y.npy)")
        case .idx:
            file.images = try require("images", "the IDX images file")
            file.labels = try require("labels", "the IDX labels file")
        default: break
        }
        if let d = m["delimiter"] {
            let v = try r.scalarText(d, key: "dataset.delimiter")
            guard v.utf8.count == 1 || v == "tab" || v == "\\t", v != "\"", v != "\n" else {
                throw r.error(d, "dataset.delimiter", "must be one character such as ',' ';' '|' or tab, got '\(v)'")
            }
            file.delimiter = v == "\\t" ? "tab" : v
        }
        if let f = m["features"] { file.features = try r.list(f, key: "dataset.features") { try r.string($0, key: "dataset.features") } }
        if let e = m["exclude"] { file.exclude = try r.list(e, key: "dataset.exclude") { try r.string($0, key: "dataset.exclude") } }
        if let v = m["missing"] {
            let t = try r.string(v, key: "dataset.missing")
            guard let policy = FileSourceSpec.MissingPolicy(rawValue: t) else {
                throw r.error(v, "dataset.missing", "must be impute, drop or error, got '\(t)'")
            }
            file.missing = policy
        }
        if let v = m["task"] { file.task = try parseTask(v, r) }
        if let v = m["x_name"] { file.xName = try r.string(v, key: "dataset.x_name") }
        if let v = m["y_name"] { file.yName = try r.string(v, key: "dataset.y_name") }
        file.testPath = try path("test_path")
        if let v = m["split_seed"] {
            let seed = try r.int(v, key: "dataset.split_seed")
            guard seed >= 0 else { throw r.error(v, "dataset.split_seed", "must not be negative, got \(seed)") }
            file.splitSeed = UInt64(seed)
        }
        // Row counts and the rest of the common keys.
        if let n = m["train_rows"] { spec.trainRows = try r.int(n, .trainRows) }
        if let n = m["validation_rows"] { spec.validationRows = try r.int(n, .validationRows) }
        if let n = m["test_rows"] { spec.testRows = try r.int(n, .testRows) }
        if let s = m["standardize"] { spec.standardize = try r.bool(s, key: "dataset.standardize") }
        if let p = m["pca"] { spec.pcaVariance = try r.double(p, .pca) }
        for (key, rowsKey) in [("validation", "validation_rows"), ("test", "test_rows")] {
            guard let v = m[key] else { continue }
            if m[rowsKey] != nil { throw r.error(v, "dataset.\(key)", "and dataset.\(rowsKey) both set the \(key) split; give one") }
            let amount = try splitAmount(v, key: "dataset.\(key)", r)
            switch (key, amount) {
            case ("validation", .fraction(let f)): file.validationFraction = f
            case ("validation", .rows(let n)): spec.validationRows = n
            case (_, .fraction(let f)): file.testFraction = f
            case (_, .rows(let n)): spec.testRows = n
            }
        }
        if let t = m["test_path"], m["test"] != nil || m["test_rows"] != nil {
            throw r.error(t, "dataset.test_path", "and dataset.test both set the test split; give one")
        }
        if (file.validationFraction ?? 0) + (file.testFraction ?? 0) >= 1 {
            throw r.error(m["validation"] ?? datasetNode, "dataset.validation", "and dataset.test fractions add up to 1 or more, leaving no training rows")
        }
        spec.file = file
        if let problem = spec.validationProblems().first {
            let key = problem.field.rawValue
            throw r.error(m[String(key.dropFirst("dataset.".count))] ?? datasetNode, key, problem.message)
        }
        return spec
    }

    private enum SplitAmount { case fraction(Double), rows(Int) }

    /// `0.2` (a fraction of the rows, in [0, 1)) or `300` (rows).
    private static func splitAmount(_ node: Node, key: String, _ r: NodeReader) throws -> SplitAmount {
        if let i = node.int {
            guard i >= 0 else { throw r.error(node, key, "must not be negative, got \(i)") }
            return .rows(i)
        }
        let d = try r.double(node, key: key)
        guard d >= 0 && d < 1 else {
            throw r.error(node, key, "must be a fraction in [0, 1) or a whole number of rows, got \(d)")
        }
        return .fraction(d)
    }
}
