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
