import Testing
@testable import HypergridSearchSpace

/// The `dataset:` keys of a user's own file.
@Suite struct FileDatasetGridTests {
    @Test func parsesEveryFormat() throws {
        let csv = try GridFileParser.parse(yaml: """
            dataset: {format: csv, path: data/customers.csv, label: churned, delimiter: ';', exclude: [id],
                      missing: drop, task: classification, validation: 0.1, test: 250, split_seed: 7, pca: 0.9}
            """, file: "g.yaml").dataset
        #expect(csv.kind == .csv && csv.path == "data/customers.csv" && csv.testRows == 250 && csv.pcaVariance == 0.9)
        let f = try #require(csv.file)
        #expect(f.label == "churned" && f.delimiter == ";" && f.exclude == ["id"] && f.missing == .drop)
        #expect(f.task == .classification && f.validationFraction == 0.1 && f.testFraction == nil && f.splitSeed == 7)
        let npy = try GridFileParser.parse(yaml: "dataset: {format: npy, x: X.npy, y: y.npy, validation: 300}\n", file: "g.yaml").dataset
        #expect(npy.kind == .npy && npy.file?.x == "X.npy" && npy.file?.y == "y.npy" && npy.validationRows == 300)
        let npz = try GridFileParser.parse(yaml: "dataset: {format: npz, path: d.npz, x_name: images, y_name: t, test_path: t.npz}\n", file: "g.yaml").dataset
        #expect(npz.file?.xName == "images" && npz.file?.yName == "t" && npz.file?.testPath == "t.npz")
        let idx = try GridFileParser.parse(yaml: "dataset: {format: idx, images: i.gz, labels: l.gz}\n", file: "g.yaml").dataset
        #expect(idx.kind == .idx && idx.file?.images == "i.gz" && idx.file?.labels == "l.gz")
    }

    @Test(arguments: [
        ("dataset: {format: parquet, path: d.parquet}\n", "bad.yaml:1: dataset.format: unknown format 'parquet'; one of csv, npy, npz, idx (or dataset.name for a built-in dataset)"),
        ("dataset: {format: csv, path: d.csv}\n", "bad.yaml:1: dataset.label: is missing; format csv needs the name of the column to predict"),
        ("dataset: {format: npy, x: X.npy}\n", "bad.yaml:1: dataset.y: is missing; format npy needs the labels array (y: y.npy)"),
        ("dataset: {format: npy, x: X.npy, y: y.npy, label: a}\n", "bad.yaml:1: dataset.label: does not apply to format npy; it takes pca, split_seed, standardize, task, test, test_rows, train_rows, validation, validation_rows, x, y"),
        ("dataset: {format: csv, path: d.csv, label: y, missing: guess}\n", "bad.yaml:1: dataset.missing: must be impute, drop or error, got 'guess'"),
        ("dataset: {format: csv, path: d.csv, label: y, validation: 1.5}\n", "bad.yaml:1: dataset.validation: must be a fraction in [0, 1) or a whole number of rows, got 1.5"),
        ("dataset: {format: csv, path: d.csv, label: y, validation: 0.6, test: 0.5}\n", "bad.yaml:1: dataset.validation: and dataset.test fractions add up to 1 or more, leaving no training rows"),
        ("dataset: {format: csv, path: d.csv, label: y, test: 0.1, test_path: t.csv}\n", "bad.yaml:1: dataset.test_path: and dataset.test both set the test split; give one"),
        ("dataset: {format: csv, path: d.csv, label: y, delimiter: ';;'}\n", "bad.yaml:1: dataset.delimiter: must be one character such as ',' ';' '|' or tab, got ';;'"),
        ("dataset: {name: csv}\n", "bad.yaml:1: dataset.name: unknown dataset 'csv'; one of cifar10, fashion-mnist, mnist, synthetic (for your own file write format: csv)"),
        ("dataset: {name: mnist, label: y}\n", "bad.yaml:1: dataset.label: applies to your own files (dataset.format), not to the built-in dataset mnist"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }
}
