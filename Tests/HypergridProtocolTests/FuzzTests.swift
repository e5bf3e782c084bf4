import HypergridPrimitives
import HypergridProtocol
import HypergridTestSupport
import Testing

/// Mutation fuzzing of the decoder: no input may trap, and any input it accepts must be the
/// canonical encoding of what it decoded to (re-encoding gives exactly the same bytes), so no
/// corrupted frame can slip through as a *different* valid-looking frame.
@Suite struct FuzzTests {
    static let iterations = 120_000
    /// A small limit, so that insertions also exercise the frame-size check.
    static let limit = 4_096

    struct Mutator {
        var rng: SplitMix64
        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        mutating func byte() -> UInt8 { UInt8(int(0...255)) }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }

        mutating func mutate(_ frame: [UInt8], donor: [UInt8]) -> [UInt8] {
            var f = frame
            for _ in 0..<int(1...3) {
                let at = int(0...f.count)  // a position, possibly the end
                switch int(0...8) {
                case 0 where !f.isEmpty:  // flip one bit
                    let i = int(0...f.count - 1)
                    f[i] ^= 1 << UInt8(int(0...7))
                case 1 where !f.isEmpty:  // truncate
                    f.removeLast(int(1...f.count))
                case 2:  // insert random bytes
                    f.insert(contentsOf: bytes(int(1...8)), at: at)
                case 3 where !f.isEmpty:  // delete a range
                    let start = int(0...f.count - 1)
                    f.removeSubrange(start..<min(f.count, start + int(1...8)))
                case 4 where !f.isEmpty:  // overwrite a byte
                    f[int(0...f.count - 1)] = byte()
                case 5 where f.count >= 4:  // a length-like value in a 4-byte window
                    let value = [0, 1, 2, 63, 64, 65, 0x7FFF_FFFF, 0xFFFF_FFFF, f.count, f.count - at][int(0...9)]
                    let i = int(0...f.count - 4)
                    for k in 0..<4 { f[i + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k)) }
                case 6 where !f.isEmpty:  // duplicate a slice
                    let start = int(0...f.count - 1)
                    f.insert(contentsOf: f[start..<min(f.count, start + int(1...16))], at: at)
                case 7:  // append
                    f += bytes(int(1...16))
                default:  // splice: this frame's head onto another frame's tail
                    f = Array(f.prefix(at)) + donor.suffix(int(0...donor.count))
                }
            }
            return f
        }
    }

    @Test func mutatedAndRandomFramesAreRejectedOrCanonical() throws {
        var factory = MessageFactory(seed: 0xF0221)
        let types = MessageType.allCases
        var pool: [[[UInt8]]] = []   // valid frames, by index into `types`
        for type in types {
            pool.append(try (0..<40).map { _ in try factory.message(type).encoded() })
        }
        // Frames just under the limit, which insertions push over it.
        let chunkIndex = types.firstIndex(of: .datasetChunk)!
        for slack in 0..<8 {
            let size = Self.limit - 25 - slack  // 25 bytes of envelope and fields around the data
            let chunk = DatasetChunk(fingerprint: "", index: 0, total: 1, bytes: factory.bytes(size))
            pool[chunkIndex].append(try Message.datasetChunk(chunk).encoded(maxFrameSize: Self.limit))
        }
        let donors = pool.flatMap { $0 }
        var mutator = Mutator(rng: SplitMix64(seed: 0x5EED))
        var accepted = 0, acceptedMutants = 0, freshValid = 0
        var mutantsByType = [Int](repeating: 0, count: types.count)
        var acceptedMutantsByType = [Int](repeating: 0, count: types.count)
        var rejections: [String: Int] = [:]
        var violations: [String] = []
        let clock = ContinuousClock()
        let start = clock.now

        for i in 0..<Self.iterations {
            // Every type in turn, so that each gets the same share of every kind of case.
            let t = (i / 10) % types.count
            let frame: [UInt8]
            var original = pool[t][mutator.int(0...pool[t].count - 1)]
            switch i % 10 {
            case 0: frame = mutator.bytes(mutator.int(0...64))  // noise
            case 1: frame = Array(original.prefix(5)) + mutator.bytes(mutator.int(0...96))  // real header, noise payload
            case 2:
                // A fresh random valid message: it must be accepted and give its own bytes back.
                original = try factory.message(types[t]).encoded(maxFrameSize: Self.limit)
                frame = original
                freshValid += 1
            default:
                frame = mutator.mutate(original, donor: donors[mutator.int(0...donors.count - 1)])
                mutantsByType[t] += 1
            }
            do {
                let message = try Message(decoding: frame, maxFrameSize: Self.limit)
                accepted += 1
                if frame != original && i % 10 >= 3 { acceptedMutants += 1; acceptedMutantsByType[t] += 1 }
                let again = try message.encoded(maxFrameSize: Self.limit)
                if again != frame && violations.count < 5 {
                    violations.append("accepted \(frame) but re-encoded \(again)")
                }
            } catch {
                rejections[caseName(error), default: 0] += 1
                if case .frameTooLarge(let size, _) = error, size <= Self.limit {
                    violations.append("frameTooLarge for \(size) bytes")
                }
                if i % 10 == 2 && violations.count < 5 {
                    violations.append("rejected a valid \(types[t].name) frame: \(error)")
                }
            }
        }
        let elapsed = clock.now - start
        let seconds = elapsed / .seconds(1)
        print("fuzz: \(Self.iterations) frames in \(String(format: "%.2f", seconds)) s; accepted \(accepted) "
              + "(\(freshValid) fresh valid frames, \(acceptedMutants) changed by mutation), rejected \(rejections.sorted { $0.key < $1.key })")
        print("fuzz: mutants (accepted) per type: "
              + types.indices.map { "\(types[$0].name) \(mutantsByType[$0]) (\(acceptedMutantsByType[$0]))" }.joined(separator: ", "))

        #expect(violations.isEmpty, "\(violations)")
        // The fuzzer must reach every way of failing, and accept some changed frames (e.g. a
        // flipped float bit), or it is not exploring the format.
        let kinds: Set<String> = ["truncated", "fieldTooLarge", "badMagic", "versionMismatch", "unknownMessageType",
                                  "trailingBytes", "invalidUTF8", "invalidTrialID", "invalidValue",
                                  "checksumMismatch", "frameTooLarge"]
        #expect(Set(rejections.keys) == kinds)
        #expect(acceptedMutants > 1_000)
        // Every type was mutated thousands of times.
        #expect(mutantsByType.allSatisfy { $0 >= Self.iterations * 7 / 10 / types.count - 10 }, "\(mutantsByType)")
        #expect(freshValid == Self.iterations / 10)
    }
}

/// The case of an error, without its values.
func caseName(_ error: ProtocolError) -> String {
    switch error {
    case .frameTooLarge: return "frameTooLarge"
    case .truncated: return "truncated"
    case .fieldTooLarge: return "fieldTooLarge"
    case .badMagic: return "badMagic"
    case .versionMismatch: return "versionMismatch"
    case .unknownMessageType: return "unknownMessageType"
    case .trailingBytes: return "trailingBytes"
    case .invalidUTF8: return "invalidUTF8"
    case .invalidTrialID: return "invalidTrialID"
    case .invalidValue: return "invalidValue"
    case .checksumMismatch: return "checksumMismatch"
    }
}
