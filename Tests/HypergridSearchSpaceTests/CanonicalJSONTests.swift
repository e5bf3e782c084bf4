import Foundation
import Testing
@testable import HypergridSearchSpace

/// The hand-written canonical encoder against Foundation's `JSONEncoder`, whose bytes trial
/// ids have always hashed: they must agree on every configuration, or ids would change.
@Suite struct CanonicalJSONTests {
    /// Numbers of every kind a grid could hold: round decimals, powers of ten, integers,
    /// tiny and huge magnitudes, and arbitrary finite bit patterns.
    static func number(_ rng: inout some RandomNumberGenerator) -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return Double(Int.random(in: 0...100_000, using: &rng)) / 1000
        case 1: return pow(10, Double(Int.random(in: -20...20, using: &rng)))
        case 2: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        case 3: return Double.random(in: 0..<1, using: &rng) * pow(10, Double(Int.random(in: -310...308, using: &rng)))
        case 4: return [0, -0.0, 1, 0.1, 0.2, 0.3, 1e-4, 5e-4, 0.95, 1e16, 1e17, 123456789012345680, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int.random(in: 0..<14, using: &rng)]
        default:
            let v = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            return v.isFinite ? v : 1.5
        }
    }

    static func config(_ rng: inout some RandomNumberGenerator) -> TrialConfig {
        var c = TrialConfig(hidden: (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 1...4096, using: &rng) },
                            batchNorm: Bool.random(using: &rng), optimizer: OptimizerKind.allCases.randomElement(using: &rng)!,
                            momentum: number(&rng), learningRate: number(&rng), learningRateDecay: number(&rng), reg: number(&rng),
                            batchSize: Int.random(in: 1...100_000, using: &rng),
                            length: Bool.random(using: &rng) ? .iterations(Int.random(in: 1...1_000_000, using: &rng)) : .epochs(Int.random(in: 1...500, using: &rng)),
                            initScheme: Bool.random(using: &rng) ? .he : .gaussian(std: abs(number(&rng)) + 1e-300),
                            seed: UInt64.random(in: 0...UInt64.max, using: &rng), lossEvery: Int.random(in: 1...1000, using: &rng))
        if Bool.random(using: &rng) { c.stopAfterEpochs = Int.random(in: 1...100, using: &rng) }
        if Bool.random(using: &rng) { c.refit = RefitData.allCases.randomElement(using: &rng) }
        if Bool.random(using: &rng) { c.dropout = number(&rng) }
        if Bool.random(using: &rng) { c.horizontalFlip = Bool.random(using: &rng) }
        if Bool.random(using: &rng) { c.schedule = LearningRateSchedule.allCases.randomElement(using: &rng) }
        if Bool.random(using: &rng) { c.warmupEpochs = number(&rng) }
        return c
    }

    @Test func fastAndFoundationBytesAgreeOnRandomConfigurations() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let c = Self.config(&rng)
            let fast = try CanonicalJSONEncoder.encode(c)
            #expect(Data(fast) == c.foundationCanonicalJSON, "\(String(decoding: c.foundationCanonicalJSON, as: UTF8.self))")
        }
    }

    @Test func numbersAreSpelledAsJSONEncoderSpellsThem() throws {
        var rng = SystemRandomNumberGenerator()
        let encoder = JSONEncoder()
        for _ in 0..<100 {
            let doubles = (0..<1000).map { _ in Self.number(&rng) }
            #expect(Data(try CanonicalJSONEncoder.encode(doubles)) == (try encoder.encode(doubles)))
            let floats = doubles.map { Float($0) }.filter(\.isFinite)
            #expect(Data(try CanonicalJSONEncoder.encode(floats)) == (try encoder.encode(floats)))
        }
    }

    @Test func whatItLeavesAloneFallsBackToTheSameBytes() throws {
        struct Odd: Codable { var name: String; var values: [Double]; var nested: [String: Int] }
        let odd = Odd(name: "tab\there / \"quoted\" \u{1}", values: [1, 0.5], nested: ["b": 1, "a": 2])
        #expect(throws: CanonicalJSONEncoder.Unsupported.self) { _ = try CanonicalJSONEncoder.encode(odd) }
        #expect(throws: CanonicalJSONEncoder.Unsupported.self) { _ = try CanonicalJSONEncoder.encode([Double.nan]) }
        let plain = Odd(name: "héllo / \"q\" \\", values: [1, 0.5], nested: [:])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        struct Plain: Codable { var name: String; var values: [Double] }
        let p = Plain(name: plain.name, values: plain.values)
        #expect(Data(try CanonicalJSONEncoder.encode(p)) == (try encoder.encode(p)))
    }
}
