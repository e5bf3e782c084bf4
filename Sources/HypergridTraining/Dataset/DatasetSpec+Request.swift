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
    }
}
