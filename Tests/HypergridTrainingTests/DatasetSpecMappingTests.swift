import HypergridData
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

@Suite struct DatasetSpecMappingTests {
    @Test(arguments: DatasetSpec.Kind.allCases)
    func everyKindMaps(kind: DatasetSpec.Kind) {
        let spec = DatasetSpec(kind: kind, path: "/data", trainRows: 10, validationRows: 5,
                               testRows: 3, standardize: false, pcaVariance: 0.5)
        let request = DatasetRequest(spec: spec)
        #expect(request.kind.rawValue == kind.rawValue)
        #expect(request.directory == "/data")
        #expect(request.trainRows == 10 && request.validationRows == 5 && request.testRows == 3)
        #expect(request.standardize == false && request.pcaVariance == 0.5)
    }

    @Test func fileOptionsMapFieldForField() {
        var f = FileSourceSpec()
        f.label = "y"; f.delimiter = ";"; f.features = ["a", "b"]; f.exclude = ["id"]; f.missing = .drop
        f.task = .regression; f.x = "X.npy"; f.y = "y.npy"; f.images = "i"; f.labels = "l"
        f.xName = "images"; f.yName = "targets"; f.validationFraction = 0.1; f.testFraction = 0.2
        f.testPath = "t.csv"; f.splitSeed = 9
        var spec = DatasetSpec(kind: .csv, path: "d.csv")
        spec.file = f
        let r = DatasetRequest(spec: spec)
        #expect(r.file == FileSource(label: "y", delimiter: ";", features: ["a", "b"], exclude: ["id"], missing: .drop,
                                     task: .regression, x: "X.npy", y: "y.npy", images: "i", labels: "l",
                                     xName: "images", yName: "targets", validationFraction: 0.1, testFraction: 0.2,
                                     testPath: "t.csv", splitSeed: 9))
        #expect(DatasetRequest(spec: DatasetSpec(kind: .mnist)).file == nil)
    }

    @Test func kindsAgree() {
        #expect(Set(DatasetSpec.Kind.allCases.map(\.rawValue)) == Set(DatasetRequest.Kind.allCases.map(\.rawValue)))
        #expect(Set(DatasetSpec.Task.allCases.map(\.rawValue)) == Set(DatasetRequest.Task.allCases.map(\.rawValue)))
    }

    @Test func taskMaps() {
        #expect(DatasetRequest(spec: DatasetSpec(kind: .synthetic)).task == .classification)
        #expect(DatasetRequest(spec: DatasetSpec(kind: .synthetic, task: .classification)).task == .classification)
        #expect(DatasetRequest(spec: DatasetSpec(kind: .synthetic, task: .regression)).task == .regression)
    }
}
