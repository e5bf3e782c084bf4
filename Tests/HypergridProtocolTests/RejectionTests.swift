import HypergridProtocol
import HypergridSearchSpace
import Testing
import HypergridData

@Suite struct RejectionTests {
    /// Magic and this build's version (the field table decides it: TrialFieldExtension).
    let header: [UInt8] = [0x48, 0x47, UInt8(WireFormat.version >> 8), UInt8(WireFormat.version & 0xFF)]
    let id = String(repeating: "ab", count: 32)

    /// Decodes `frame`, expecting exactly `expected`; returns the error for further checks.
    @discardableResult
    private func reject(_ frame: [UInt8], maxFrameSize: Int = WireFormat.defaultMaxFrameSize,
                        _ expected: ProtocolError, sourceLocation: SourceLocation = #_sourceLocation) -> ProtocolError? {
        do {
            let message = try Message(decoding: frame, maxFrameSize: maxFrameSize)
            Issue.record("accepted \(message)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error == expected, sourceLocation: sourceLocation)
            // One sentence: ends with a period, no line breaks.
            #expect(error.description.hasSuffix(".") && !error.description.contains("\n"), sourceLocation: sourceLocation)
            return error
        }
    }

    private func u32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    private func str(_ s: String) -> [UInt8] { u32(s.utf8.count) + Array(s.utf8) }

    @Test func envelopeErrors() {
        reject([], .truncated(field: "header", needed: 5, available: 0))
        reject(header, .truncated(field: "header", needed: 5, available: 4))
        let magic = reject([0x58, 0x58, 0, 1, 0x40], .badMagic(found: [0x58, 0x58]))
        #expect(magic?.description == "The frame does not start with the hypergrid magic 48 47 ('HG'); it starts with 58 58.")
        let unknown = reject(header + [0x7F], .unknownMessageType(0x7F))
        #expect(unknown?.description == "Message type 0x7f is not defined by hypergrid protocol \(WireFormat.version).")
        reject(header + [0x40, 0], .trailingBytes(message: "heartbeat", count: 1))
        let big = [UInt8](repeating: 0, count: 200)
        reject(big, maxFrameSize: 100, .frameTooLarge(size: 200, limit: 100))
    }

    @Test func versionMismatchNamesBothVersions() {
        let v99 = reject([0x48, 0x47, 0x00, 0x63, 0x01, 0, 0], .versionMismatch(peer: 99, local: WireFormat.version, refusal: nil))
        #expect(v99?.description == "The peer speaks hypergrid protocol 99, this side speaks \(WireFormat.version).")
        let v1 = reject([0x48, 0x47, 0x00, 0x01, 0x03, 0, 0], .versionMismatch(peer: 1, local: WireFormat.version, refusal: nil))
        #expect(v1?.description == "The peer speaks hypergrid protocol 1, this side speaks \(WireFormat.version).")
        // Version 2 was spoken by builds with assignment tokens but no halving, and by builds
        // with halving but no tokens: neither layout is this one.
        let v2 = reject([0x48, 0x47, 0x00, 0x02, 0x03, 0, 0], .versionMismatch(peer: 2, local: WireFormat.version, refusal: nil))
        #expect(v2?.description == "The peer speaks hypergrid protocol 2, this side speaks \(WireFormat.version).")
        // Version 3 had halving and tokens but no model features.
        let v3 = reject([0x48, 0x47, 0x00, 0x03, 0x03, 0, 0], .versionMismatch(peer: 3, local: WireFormat.version, refusal: nil))
        #expect(v3?.description == "The peer speaks hypergrid protocol 3, this side speaks \(WireFormat.version).")
        // A refuse keeps its layout in every version, so its reason is still readable,
        // even with fields a later version appended.
        let refuse = [0x48, 0x47, 0x00, 0x07, 0x83] + str("numerics hg-numerics-2 expected") + [1, 2, 3]
        let error = reject(refuse, .versionMismatch(peer: 7, local: WireFormat.version, refusal: "numerics hg-numerics-2 expected"))
        #expect(error?.description == "The peer speaks hypergrid protocol 7, this side speaks \(WireFormat.version); it refused: numerics hg-numerics-2 expected.")
    }

    @Test func fieldErrors() {
        // Truncated: the trial id of an ack stops after 10 of 64 characters.
        let ack = header + [0x82] + str(id)
        let cut = reject(Array(ack.prefix(5 + 4 + 10)), .truncated(field: "ack.trialID", needed: 64, available: 10))
        #expect(cut?.description == "The frame ends inside field ack.trialID: it needs 64 bytes but 10 remain.")
        reject(header + [0x82, 0, 0], .truncated(field: "ack.trialID", needed: 4, available: 2))
        // Oversized: a length prefix beyond any frame.
        let huge = reject(header + [0x83, 0xFF, 0xFF, 0xFF, 0xFF],
                          .fieldTooLarge(field: "refuse.reason", length: 0xFFFF_FFFF, limit: WireFormat.defaultMaxFrameSize))
        #expect(huge?.description == "Field refuse.reason declares 4294967295 bytes, more than the 1073741824-byte frame limit.")
        // Invalid UTF-8: a stray continuation byte, an overlong NUL and a UTF-16 surrogate.
        for bad: [UInt8] in [[0xFF], [0x61, 0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE6, 0x97]] {
            reject(header + [0x83] + u32(bad.count) + bad, .invalidUTF8(field: "refuse.reason"))
        }
        // Trial ids: upper case, too short, not hex.
        for bad in [id.uppercased(), String(id.dropLast()), String(repeating: "g", count: 64)] {
            reject(header + [0x82] + str(bad), .invalidTrialID(field: "ack.trialID"))
        }
        let missing = reject(header + [0x04, 2], .invalidValue(field: "goodbye.abandoned",
                             reason: "an optional's presence byte must be 0 or 1, not 2"))
        #expect(missing?.description == "Field goodbye.abandoned is invalid: an optional's presence byte must be 0 or 1, not 2.")
        // An element count larger than the bytes left is refused before any allocation.
        reject(header + [0x01] + str("n") + str("p") + str("w") + str("c") + [UInt8](repeating: 0, count: 8) + u32(1_000_000),
               .truncated(field: "ready.cachedDatasets", needed: 4_000_000, available: 0))
    }

    /// Offsets into the encoding of `sampleAssignment`.
    private var assignFrame: [UInt8] { try! Message.assign(sampleAssignment).encoded() }
    private var configOffset: Int {
        5 + (4 + 64) + 4 + (4 + sampleAssignment.token.count) + (4 + sampleAssignment.datasetFingerprint.utf8.count)
    }

    @Test func structuredValueErrors() throws {
        var frame = assignFrame
        let batchNorm = configOffset + 4 + 8 * sampleAssignment.config.hidden.count
        frame[batchNorm] = 2
        reject(frame, .invalidValue(field: "config.batchNorm", reason: "a bool must be 0 or 1, not 2"))
        frame = assignFrame
        frame[batchNorm + 1] = 9
        reject(frame, .invalidValue(field: "config.optimizer", reason: "unknown tag 9"))

        // A Gaussian std must be positive and finite, on both sides of the wire.
        var config = sampleAssignment.config
        config.initScheme = .gaussian(std: -1)
        var assignment = sampleAssignment
        assignment.config = config
        let expected = ProtocolError.invalidValue(field: "config.initScheme",
                                                  reason: "a Gaussian standard deviation must be positive and finite, not -1.0")
        #expect(throws: expected) { try Message.assign(assignment).encoded() }
        config.initScheme = .gaussian(std: 1)
        assignment.config = config
        frame = try Message.assign(assignment).encoded()
        // After batchNorm and optimizer (1 byte each), 4 doubles, the batch size, the length
        // (tag + Int64) and the init scheme's tag.
        let std = batchNorm + 2 + 8 * 4 + 8 + 9 + 1
        #expect(Array(frame[std..<(std + 8)]) == (1.0).bitPattern.bigEndianBytes)
        frame.replaceSubrange(std..<(std + 8), with: (-1.0).bitPattern.bigEndianBytes)
        reject(frame, expected)
        frame.replaceSubrange(std..<(std + 8), with: Double.nan.bitPattern.bigEndianBytes)
        reject(frame, .invalidValue(field: "config.initScheme",
                                    reason: "a Gaussian standard deviation must be positive and finite, not nan"))

        frame = assignFrame
        // The presence byte of pcaVariance, the dataset's last field (the checkpoint flag and
        // the checkpoint's presence byte follow).
        frame[frame.count - 11] = 4
        reject(frame, .invalidValue(field: "dataset.pcaVariance",
                                    reason: "an optional's presence byte must be 0 or 1, not 4"))
        frame = assignFrame
        // The config of sampleAssignment (two hidden layers, He init, no halving budget, no
        // refit and no model features) takes 94 bytes: 90, then one byte for each absent
        // feature (dropout, flip, schedule, warm-up).
        let features = configOffset + 4 + 8 * 2 + 2 + 8 * 4 + 8 + 9 + 1 + 8 + 8 + 1 + 1
        #expect(Array(frame[features..<(features + 4)]) == [0, 0, 0, 0])
        frame[features + 1] = 3  // horizontalFlip
        reject(frame, .invalidValue(field: "config.horizontalFlip", reason: "unknown tag 3"))
        frame = assignFrame
        frame[features + 2] = 5  // schedule
        reject(frame, .invalidValue(field: "config.schedule", reason: "unknown tag 5"))
        frame = assignFrame
        // After the features, one tag byte per field added through the table (all off here).
        // (The high bit of dataset.kind would announce a task: 0x7F is no kind at all.)
        frame[features + 4 + TrialField.extensions.count] = 0x7F  // dataset.kind
        reject(frame, .invalidValue(field: "dataset.kind", reason: "unknown tag 127"))
    }

    @Test func datasetChunkErrors() throws {
        let chunk = DatasetChunk(fingerprint: "fp", index: 0, total: 2, bytes: Array("hello".utf8))
        var frame = try Message.datasetChunk(chunk).encoded()
        frame[frame.count - 1] ^= 1
        let crc = reject(frame, .checksumMismatch(field: "datasetChunk.bytes", expected: chunk.checksum,
                                                  actual: CRC32.checksum(Array("helln".utf8))))
        #expect(crc?.description.hasPrefix("Field datasetChunk.bytes fails its CRC-32 check (expected 0x") == true)

        frame = try Message.datasetChunk(chunk).encoded()
        frame[5 + 4 + 2 + 3] = 2  // index 2 of total 2
        let range = ProtocolError.invalidValue(field: "datasetChunk.index", reason: "chunk 2 of 2 is out of range")
        reject(frame, range)
        let outOfRange = DatasetChunk(fingerprint: "fp", index: 2, total: 2, bytes: [])
        #expect(throws: range) { try Message.datasetChunk(outOfRange).encoded() }

        // A chunk above the frame limit is refused when encoding, not sent and dropped later.
        let big = DatasetChunk(fingerprint: "", index: 0, total: 1, bytes: [UInt8](repeating: 1, count: 1_000))
        #expect(throws: ProtocolError.fieldTooLarge(field: "datasetChunk.bytes", length: 1_000, limit: 500)) {
            try Message.datasetChunk(big).encoded(maxFrameSize: 500)
        }
        #expect(throws: ProtocolError.frameTooLarge(size: 1_025, limit: 1_010)) {
            try Message.datasetChunk(big).encoded(maxFrameSize: 1_010)
        }
        #expect(try Message(decoding: try Message.datasetChunk(big).encoded(maxFrameSize: 1_025), maxFrameSize: 1_025)
                == .datasetChunk(big))
    }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * $0)) } }
}
