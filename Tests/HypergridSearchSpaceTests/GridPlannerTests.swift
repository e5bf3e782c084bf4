import Testing
@testable import HypergridSearchSpace

@Suite struct GridPlannerTests {
    let shape = DatasetShape(features: 99, classes: 10, trainRows: 49_000)

    func spec(_ yaml: String) throws -> GridSpec { try GridFileParser.parse(yaml: yaml, file: "t.yaml") }

    @Test func expandsTheCartesianProductOnce() throws {
        let s = try spec("dataset: {name: synthetic}\nmodel: {hidden: [64, 128]}\ntraining: {learning_rate: [0.1, 0.01, 0.001], reg: [0, 0.1]}\n")
        let plan = s.plan(datasetFingerprint: "fp", shape: shape)
        #expect(plan.count == 12)
        #expect(Set(plan.map(\.id)).count == 12)
        #expect(Set(plan.map(\.config)).count == 12)
        #expect(plan.map(\.point) == Array(0..<12))
    }

    @Test func trialIDsAreStableAndSensitive() throws {
        let s = try spec("dataset: {name: synthetic}\ntraining: {learning_rate: [0.1, 0.01]}\n")
        let a = s.plan(datasetFingerprint: "fp", shape: shape)
        let b = s.plan(datasetFingerprint: "fp", shape: shape)
        #expect(a.map(\.id) == b.map(\.id))
        let otherData = s.plan(datasetFingerprint: "fp2", shape: shape)
        #expect(Set(a.map(\.id)).isDisjoint(with: otherData.map(\.id)))
        let otherNumerics = s.plan(datasetFingerprint: "fp", shape: shape, numericsVersion: "x")
        #expect(Set(a.map(\.id)).isDisjoint(with: otherNumerics.map(\.id)))
        #expect(a[0].id.hex.count == 64)
        #expect(TrialID(hex: a[0].id.hex) == a[0].id)
        #expect(TrialID(hex: "XYZ") == nil)
    }

    /// Extending a grid keeps the ids of the points it already had, so a resumed
    /// run skips them.
    @Test func extendingAGridKeepsOldIDs() throws {
        let small = try spec("dataset: {name: synthetic}\ntraining: {learning_rate: [0.1], reg: [0, 0.1]}\n")
        let large = try spec("dataset: {name: synthetic}\ntraining: {learning_rate: [0.1, 0.01], reg: [0, 0.1]}\n")
        let old = Set(small.plan(datasetFingerprint: "fp", shape: shape).map(\.id))
        let new = Set(large.plan(datasetFingerprint: "fp", shape: shape).map(\.id))
        #expect(old.isSubset(of: new))
    }

    @Test func repeatsUseConsecutiveSeeds() throws {
        let s = try spec("dataset: {name: synthetic}\ntraining: {learning_rate: [0.1, 0.01]}\nsearch: {repeats: 3, seed: 10}\n")
        let plan = s.plan(datasetFingerprint: "fp", shape: shape)
        #expect(plan.count == 6)
        #expect(plan.filter { $0.point == 1 }.map(\.config.seed) == [10, 11, 12])
        #expect(plan.filter { $0.point == 1 }.map(\.repetition) == [0, 1, 2])
    }

    @Test func randomSearchIsSeededAndDistinct() throws {
        let yaml = "dataset: {name: synthetic}\ntraining: {learning_rate: [1, 0.1, 0.01, 0.001], reg: [0, 0.1, 0.01]}\nsearch: {kind: random, samples: 5, seed: 3}\n"
        let a = try spec(yaml).plan(datasetFingerprint: "fp", shape: shape)
        let b = try spec(yaml).plan(datasetFingerprint: "fp", shape: shape)
        #expect(a.count == 5)
        #expect(a == b)
        #expect(Set(a.map(\.point)).count == 5)
        let other = try spec(yaml.replacingOccurrences(of: "seed: 3", with: "seed: 4")).plan(datasetFingerprint: "fp", shape: shape)
        #expect(other.map(\.point) != a.map(\.point))
    }

    @Test func costGrowsWithSizeAndLength() throws {
        let small = TrialConfig(hidden: [64], length: .iterations(100))
        let wide = TrialConfig(hidden: [256], length: .iterations(100))
        let long = TrialConfig(hidden: [64], length: .iterations(1000))
        #expect(small.estimatedCost(shape: shape) < wide.estimatedCost(shape: shape))
        #expect(small.estimatedCost(shape: shape) * 10 == long.estimatedCost(shape: shape))
        let epochs = TrialConfig(hidden: [64], batchSize: 200, length: .epochs(2))
        #expect(epochs.length.iterationCount(trainRows: 49_000, batchSize: 200) == 490)
    }
}
