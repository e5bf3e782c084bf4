import HypergridData
import HypergridSearchSpace

extension DatasetRequest {
    /// The data library's request for a run's `DatasetSpec` (the two map 1:1; the
    /// synthetic generator keeps its defaults).
    public init(spec: DatasetSpec) {
        // Both enums spell their cases the same; a new kind added to one but not the
        // other fails the round-trip test in HypergridTrainingTests.
        let kind = DatasetRequest.Kind(rawValue: spec.kind.rawValue)!
        self.init(kind: kind, directory: spec.path, trainRows: spec.trainRows,
                  validationRows: spec.validationRows, testRows: spec.testRows,
                  standardize: spec.standardize, pcaVariance: spec.pcaVariance,
                  task: spec.task.flatMap { DatasetRequest.Task(rawValue: $0.rawValue) } ?? .classification)
        file = spec.file.map(FileSource.init(spec:))
    }
}

extension FileSource {
    /// The data library's file options for a grid file's (field for field).
    public init(spec f: FileSourceSpec) {
        self.init(label: f.label, delimiter: f.delimiter, features: f.features, exclude: f.exclude,
                  missing: FileSource.MissingPolicy(rawValue: f.missing.rawValue)!,
                  task: f.task.map { FileSource.Task(rawValue: $0.rawValue)! },
                  x: f.x, y: f.y, images: f.images, labels: f.labels, xName: f.xName, yName: f.yName,
                  validationFraction: f.validationFraction, testFraction: f.testFraction,
                  testPath: f.testPath, splitSeed: f.splitSeed)
    }
}
