import Foundation
import Testing
@testable import HypergridSearchSpace

/// Huge and degenerate grids (issue 17 §5): refused at once in one sentence, and a random
/// search over a huge product plans only its samples.
@Suite struct GridSizeTests {
    let shape = DatasetShape(features: 99, classes: 10, trainRows: 49_000)

    func spec(_ yaml: String) throws -> GridSpec { try GridFileParser.parse(yaml: yaml, file: "grid.yaml") }

    /// Twenty values on each of six axes: the typo of the issue, 20⁶ = 64,000,000 points.
    static let twentyToTheSixth: String = {
        func list(_ f: (Int) -> String) -> String { "[" + (1...20).map(f).joined(separator: ", ") + "]" }
        return """
            dataset: {name: synthetic}
            model: {hidden: \(list { "\($0 * 8)" }), dropout: \(list { "\(Double($0) / 40)" })}
            training: {learning_rate: \(list { "\(Double($0) / 1000)" }), reg: \(list { "\(Double($0) / 1e5)" }),
                       batch_size: \(list { "\($0 * 10)" }), momentum: \(list { "\(0.5 + Double($0) / 50)" })}

            """
    }()

    @Test func aHugeGridIsRefusedAtOnceNamingTheProduct() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let s = try spec(Self.twentyToTheSixth)
        #expect(throws: GridFileError(file: "grid.yaml", line: nil, key: "", message: "the grid has 64,000,000 points (20 hidden × 20 momentum × 20 learning_rate × 20 reg × 20 batch_size × 20 dropout); the limit is 1,000,000: use search.kind: random with samples, or --max-trials")) {
            try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml")
        }
        #expect(clock.now - start < .seconds(1))
        // Raising the limit lets it through.
        try s.checkSize(limit: 64_000_000, file: "grid.yaml")
    }

    @Test func repeatsCountTowardsTheLimit() throws {
        let s = try spec("dataset: {name: synthetic}\ntraining: {learning_rate: [0.1, 0.01, 0.001]}\nsearch: {repeats: 4}\n")
        #expect(throws: GridFileError(file: "grid.yaml", line: nil, key: "", message: "the grid has 3 points (3 learning_rate) × 4 repeats = 12 trials; the limit is 10: use search.kind: random with samples, or --max-trials")) {
            try s.checkSize(limit: 10, file: "grid.yaml")
        }
        try s.checkSize(limit: 12, file: "grid.yaml")
    }

    @Test func aProductBeyondSixtyFourBitsIsRefusedWithoutTrapping() throws {
        // 100⁴ × 50⁶ × 2³ ≈ 1.25e19 points, more than Int.max.
        var s = try spec("dataset: {name: synthetic}\n")
        let fifty = (1...50).map { Double($0) / 100 }
        s.axes.hidden = (1...100).map { [$0] }
        s.axes.batchNorm = [false, true]
        (s.axes.momentum, s.axes.learningRate, s.axes.learningRateDecay, s.axes.reg) = (fifty, fifty, fifty, fifty)
        s.axes.batchSize = Array(1...100)
        s.axes.length = (1...100).map { .iterations($0) }
        s.axes.initScheme = (1...100).map { .gaussian(std: Double($0) * 1e-4) }
        (s.axes.dropout, s.axes.warmupEpochs) = (fifty, fifty)
        s.axes.horizontalFlip = [false, true]
        s.axes.schedule = [.step, .cosine]
        #expect(s.axes.checkedPointCount == nil)
        #expect(s.axes.pointCount == Int.max)
        #expect(throws: GridFileError.self) { try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml") }
        do {
            try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml")
        } catch {
            #expect(error.description == "grid.yaml: the grid has more than 9,223,372,036,854,775,807 points (100 hidden × 2 batch_norm × 50 momentum × 50 learning_rate × 50 decay × 50 reg × 100 batch_size × 100 iterations × 100 init × 50 dropout × 2 horizontal_flip × 2 schedule × 50 warmup_epochs); the limit is 1,000,000: use search.kind: random with samples, or --max-trials")
        }
    }

    @Test func tooManySamplesAreRefusedNamingTheSamples() throws {
        var s = try spec(Self.twentyToTheSixth + "search: {kind: random, samples: 2000000}\n")
        #expect(throws: GridFileError(file: "grid.yaml", line: nil, key: "search.samples", message: "2,000,000 samples make 2,000,000 trials; the limit is 1,000,000: sample fewer, or raise --max-trials")) {
            try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml")
        }
        s.search.kind = .random(samples: 1000)
        try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml")
    }

    @Test func aRandomSearchOverAHugeProductPlansOnlyItsSamples() throws {
        let s = try spec(Self.twentyToTheSixth + "search: {kind: random, samples: 200, seed: 7}\n")
        try s.checkSize(limit: GridSpec.defaultMaxTrials, file: "grid.yaml")
        let clock = ContinuousClock()
        let start = clock.now
        let plan = s.plan(datasetFingerprint: "fp", shape: shape)
        // Materialising 64,000,000 indices took 30 s and 870 MB; 200 samples take milliseconds.
        #expect(clock.now - start < .seconds(1))
        #expect(plan.count == 200)
        #expect(Set(plan.map(\.point)).count == 200)
        #expect(plan.allSatisfy { $0.point < 64_000_000 })
    }

    /// The sparse shuffle picks exactly what shuffling the whole index array picked, so
    /// random searches planned before keep their points (and trial ids).
    @Test func sparseSamplingPicksWhatTheFullShufflePicked() {
        for (count, total, seed) in [(5, 12, UInt64(3)), (1, 1, 0), (7, 7, 9), (50, 1000, 42), (999, 1000, 1), (3, 100_000, 123)] {
            #expect(GridSpec.sample(count, of: total, seed: seed) == Self.fullShuffleSample(count, of: total, seed: seed))
        }
    }

    /// The algorithm as it was: a partial Fisher–Yates shuffle of `Array(0..<total)`.
    static func fullShuffleSample(_ count: Int, of total: Int, seed: UInt64) -> [Int] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var indices = Array(0..<total)
        for i in 0..<min(count, total) {
            let j = i + Int(next().multipliedFullWidth(by: UInt64(total - i)).high)
            indices.swapAt(i, j)
        }
        return Array(indices.prefix(count)).sorted()
    }
}
