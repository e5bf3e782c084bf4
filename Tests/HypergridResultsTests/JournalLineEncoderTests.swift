import Foundation
import HypergridPrimitives
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

/// The journal's own encoder must write exactly what JSONEncoder writes, so that the
/// journal's format does not depend on which of the two wrote a line.
@Suite struct JournalLineEncoderTests {
    static let awkward = ["", "w1", "host:1234", "a,b \"quoted\"", "back\\slash", "path/with/slashes", "tab\there",
                          "line\nbreak\r\n", "bell\u{07} nul\u{0} unit\u{1f} del\u{7f}", "é ü 漢字 🧪", "\u{08}\u{0c}"]
    static let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1e-4, 1e-5, 0.95, 2.5e-300, .leastNonzeroMagnitude, 1e300, 1e16, 123456789012345680,
                                    .pi, 0.6340301513671875, .nan, .infinity, -.infinity, 38112000000, 1.7e9 + 0.25]
    static let floats: [Float] = [0, -0.0, 2.3, 1.4, 1e-7, 3.4e38, .leastNonzeroMagnitude, .nan, .infinity, -.infinity, 0.1]

    static func record(_ rng: inout SplitMix64) -> JournalRecord {
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &rng)] }
        func maybe(_ value: Double) -> Double? { Bool.random(using: &rng) ? value : nil }
        let config = TrialConfig(
            hidden: (0..<Int.random(in: 0...3, using: &rng)).map { _ in pick([16, 64, 256, 1024]) },
            batchNorm: Bool.random(using: &rng), optimizer: pick(OptimizerKind.allCases), momentum: pick(doubles.filter(\.isFinite)),
            learningRate: pick([1e-4, 3e-3, 0.1, 1]), learningRateDecay: pick([1, 0.95, 0.5]), reg: pick([0, 1e-5, 2.5e-4]),
            batchSize: pick([1, 50, 200]), length: Bool.random(using: &rng) ? .iterations(pick([0, 1000, Int.max])) : .epochs(pick([1, 5])),
            initScheme: Bool.random(using: &rng) ? .he : .gaussian(std: pick([1e-4, 0.01])),
            seed: pick([0, 7, UInt64.max]), lossEvery: pick([1, 10]))
        let planned = PlannedTrial(id: TrialID(config: config, datasetFingerprint: "f"), config: config,
                                   point: Int.random(in: 0...1000, using: &rng), repetition: pick([0, 2]),
                                   cost: pick(doubles.filter(\.isFinite)))
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            return .runStarted(RunStartedRecord(planDigest: String(repeating: "ab", count: 32), trials: pick([0, 5000]),
                                                skipped: pick([0, 3]), numerics: pick(awkward), program: pick(awkward)))
        case 1:
            return .trialFailed(TrialFailedRecord(trial: planned, attempts: pick([1, 3]), reason: pick(awkward)))
        default:
            let metrics = TrialMetrics(status: pick([.done, .diverged, .failed]), trainAccuracy: maybe(pick(doubles)),
                                       validationAccuracy: maybe(pick(doubles)), testAccuracy: maybe(pick(doubles)),
                                       finalLoss: maybe(pick(doubles)), iterations: pick([0, 1000, -1]),
                                       wallSeconds: pick(doubles), samplesPerSecond: pick(doubles),
                                       reason: Bool.random(using: &rng) ? pick(awkward) : nil)
            let history = TrialHistory(lossEvery: pick([1, 250]),
                                       loss: (0..<Int.random(in: 0...6, using: &rng)).map { _ in pick(floats) },
                                       trainAccuracy: (0..<Int.random(in: 0...2, using: &rng)).map { _ in pick(doubles) },
                                       validationAccuracy: (0..<Int.random(in: 0...2, using: &rng)).map { _ in pick(doubles) })
            return .trialResult(TrialResultRecord(trial: planned, attempt: pick([1, 2]), worker: pick(awkward),
                                                  outcome: TrialOutcome(metrics: metrics, history: history)))
        }
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        var rng = SplitMix64(seed: 42)
        let foundation = JournalJSON.encoder()
        var kinds = Set<String>()
        for i in 0..<2000 {
            let entry = JournalEntry(time: i % 3 == 0 ? nil : Self.doubles[i % Self.doubles.count], record: Self.record(&rng))
            var ours: [UInt8] = []
            try JournalLineEncoder.encode(entry, into: &ours)
            let theirs = Array(try foundation.encode(entry))
            if ours != theirs {
                Issue.record("entry \(i) differs:\n ours:   \(String(decoding: ours, as: UTF8.self))\n theirs: \(String(decoding: theirs, as: UTF8.self))")
                return
            }
            kinds.insert(String(describing: entry.record).prefix(while: { $0 != "(" }).description)
        }
        #expect(kinds == ["runStarted", "trialResult", "trialFailed"])
    }

    @Test func appendsToWhatIsThere() throws {
        var bytes = Array("x".utf8)
        try JournalLineEncoder.encode(["b": 1.0, "a": 0.5], into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "x{\"a\":0.5,\"b\":1}")
    }

    @Test func leavesFoundationsSpecialTypesToFoundation() {
        var bytes: [UInt8] = []
        #expect(throws: JournalLineEncoder.Unsupported.self) { try JournalLineEncoder.encode(["when": Date()], into: &bytes) }
        #expect(throws: JournalLineEncoder.Unsupported.self) { try JournalLineEncoder.encode([Data([1])], into: &bytes) }
        #expect(bytes.isEmpty)
    }
}
