import HypergridSearchSpace
import HypergridData
import HypergridPrimitives

extension Message {
    /// The frame for this message. Throws if a field or the frame exceeds `maxFrameSize`, or
    /// if a value is one the decoder would refuse (a chunk index past its total, a
    /// non-positive Gaussian std), so that every encoded frame decodes to this message.
    public func encoded(maxFrameSize: Int = WireFormat.defaultMaxFrameSize) throws(ProtocolError) -> [UInt8] {
        var w = WireWriter(type: type, capacity: estimatedSize, limit: maxFrameSize)
        switch self {
        case .ready(let h):
            try w.string(h.numericsVersion, "ready.numericsVersion")
            try w.string(h.programVersion, "ready.programVersion")
            try w.string(h.workerName, "ready.workerName")
            try w.string(h.cpuFeatures, "ready.cpuFeatures")
            w.i64(h.threadCount)
            try w.count(h.cachedDatasets.count, "ready.cachedDatasets")
            for fingerprint in h.cachedDatasets { try w.string(fingerprint, "ready.cachedDatasets") }
            // Appended only when set, as regression's tags are: a one-at-a-time worker's
            // `ready` keeps its bytes, and a coordinator that predates prefetching refuses
            // a prefetching worker's as having trailing bytes.
            if h.prefetch != 0 {
                guard (1...WorkerHello.maxPrefetch).contains(h.prefetch) else {
                    throw .invalidValue(field: "ready.prefetch", reason: "must be 0 to \(WorkerHello.maxPrefetch), not \(h.prefetch)")
                }
                w.u8(UInt8(h.prefetch))
            }
        case .progress(let p):
            try w.trialID(p.trialID, "progress.trialID")
            w.u32(p.attempt)
            w.i64(p.epoch)
            w.i64(p.iteration)
            w.f64(p.loss)
            w.optional(p.validationAccuracy)
        case .result(let r):
            try w.trialID(r.trialID, "result.trialID")
            w.u32(r.attempt)
            try w.byteArray(r.token, "result.token")
            try w.outcome(r.outcome)
            // Bit 0: a checkpoint follows; bit 1: a model follows. A result without a model is
            // byte-identical to one of before models were kept (the byte was a presence flag).
            // Bit 2: a result digest follows (issue 17 §3); a result without one encodes as before.
            let digest = try r.outcome.digest.map(digestBytes)
            w.u8((r.checkpoint != nil ? 1 : 0) | (r.model != nil ? 2 : 0) | (digest != nil ? 4 : 0))
            if let c = r.checkpoint { try w.byteArray(c, "result.checkpoint") }
            if let m = r.model { try w.byteArray(m, "result.model") }
            if let digest { try w.byteArray(digest, "result.digest") }
        case .goodbye(let abandoned):
            w.presence(abandoned != nil)
            if let abandoned { try w.trialID(abandoned, "goodbye.abandoned") }
        case .datasetRequest(let fingerprint, let chunkIndex):
            try w.string(fingerprint, "datasetRequest.fingerprint")
            w.u32(chunkIndex)
        case .heartbeat, .shutdown:
            break
        case .assign(let a):
            try w.trialID(a.trialID, "assign.trialID")
            w.u32(a.attempt)
            try w.byteArray(a.token, "assign.token")
            try w.string(a.datasetFingerprint, "assign.datasetFingerprint")
            try w.config(a.config)
            try w.dataset(a.dataset)
            // Bit 0: send the checkpoint back; bit 1: send the model back (0 or 1 before models
            // were kept, so such assignments encode as they did).
            w.u8((a.saveCheckpoint ? 1 : 0) | (a.saveModel ? 2 : 0) | (a.sendDigest ? 4 : 0))
            w.presence(a.checkpoint != nil)
            if let c = a.checkpoint { try w.byteArray(c, "assign.checkpoint") }
        case .ack(let id):
            try w.trialID(id, "ack.trialID")
        case .refuse(let reason):
            try w.string(reason, "refuse.reason")
        case .quarantine(let reason):
            try w.string(reason, "quarantine.reason")
        case .abandon(let id):
            try w.trialID(id, "abandon.trialID")
        case .noWork(let retryAfter):
            w.u32(retryAfter)
        case .datasetChunk(let c):
            guard c.index < c.total else { throw chunkIndexError(c.index, c.total) }
            try w.string(c.fingerprint, "datasetChunk.fingerprint")
            w.u32(c.index)
            w.u32(c.total)
            w.u32(c.checksum)
            try w.byteArray(c.bytes, "datasetChunk.bytes")
        case .datasetUnavailable(let fingerprint, let reason):
            try w.string(fingerprint, "datasetUnavailable.fingerprint")
            try w.string(reason, "datasetUnavailable.reason")
        }
        return try w.frame()
    }

    /// A capacity hint so that encoding does not regrow the buffer.
    private var estimatedSize: Int {
        switch self {
        case .datasetChunk(let c): return 64 + c.fingerprint.utf8.count + c.bytes.count
        case .result(let r):
            let h = r.outcome.history
            return 256 + r.token.count + (r.outcome.metrics.reason?.utf8.count ?? 0) + 4 * h.loss.count
                + 8 * (h.trainAccuracy.count + h.validationAccuracy.count) + (r.checkpoint?.count ?? 0)
                + (r.model?.count ?? 0)
        case .assign(let a): return 512 + a.token.count + (a.checkpoint?.count ?? 0)
        default: return 256
        }
    }

    /// Decodes one frame. Total: any byte string either decodes to the message whose
    /// encoding it is (byte for byte) or throws a ``ProtocolError``; it never traps.
    /// `ready`'s appended prefetch: 1 to ``WorkerHello/maxPrefetch`` (0 is written as nothing,
    /// so that each hello has one encoding).
    private static func prefetch(_ value: UInt8) throws(ProtocolError) -> Int {
        guard value >= 1, Int(value) <= WorkerHello.maxPrefetch else {
            throw .invalidValue(field: "ready.prefetch", reason: "must be 1 to \(WorkerHello.maxPrefetch), not \(value)")
        }
        return Int(value)
    }

    public init(decoding frame: [UInt8], maxFrameSize: Int = WireFormat.defaultMaxFrameSize) throws(ProtocolError) {
        guard frame.count <= maxFrameSize else { throw .frameTooLarge(size: frame.count, limit: maxFrameSize) }
        guard frame.count >= WireFormat.headerSize else {
            throw .truncated(field: "header", needed: WireFormat.headerSize, available: frame.count)
        }
        guard frame[0] == WireFormat.magic[0], frame[1] == WireFormat.magic[1] else {
            throw .badMagic(found: Array(frame.prefix(2)))
        }
        let version = UInt16(frame[2]) << 8 | UInt16(frame[3])
        guard version == WireFormat.version else {
            throw .versionMismatch(peer: version, local: WireFormat.version,
                                   refusal: Message.frozenRefusal(frame, maxFrameSize: maxFrameSize))
        }
        guard let type = MessageType(rawValue: frame[4]) else { throw .unknownMessageType(frame[4]) }
        var r = WireReader(frame, offset: WireFormat.headerSize, limit: maxFrameSize)
        switch type {
        case .ready:
            self = .ready(WorkerHello(
                numericsVersion: try r.string("ready.numericsVersion"),
                programVersion: try r.string("ready.programVersion"),
                workerName: try r.string("ready.workerName"),
                cpuFeatures: try r.string("ready.cpuFeatures"),
                threadCount: try r.i64("ready.threadCount"),
                cachedDatasets: try r.stringList("ready.cachedDatasets"),
                prefetch: r.remaining > 0 ? try Self.prefetch(r.u8("ready.prefetch")) : 0))
        case .progress:
            self = .progress(TrialProgress(
                trialID: try r.trialID("progress.trialID"), attempt: try r.u32("progress.attempt"),
                epoch: try r.i64("progress.epoch"), iteration: try r.i64("progress.iteration"),
                loss: try r.f64("progress.loss"),
                validationAccuracy: try r.optionalF64("progress.validationAccuracy")))
        case .result:
            let id = try r.trialID("result.trialID")
            let attempt = try r.u32("result.attempt")
            let token = Array(try r.byteArray("result.token"))
            var outcome = try r.outcome()
            let parts = try r.flags("result.parts", known: 0b111)
            let checkpoint = parts & 1 != 0 ? Array(try r.byteArray("result.checkpoint")) : nil
            let model = parts & 2 != 0 ? Array(try r.byteArray("result.model")) : nil
            if parts & 4 != 0 {
                let digest = try r.byteArray("result.digest")
                guard digest.count == 32 else {
                    throw .invalidValue(field: "result.digest", reason: "a SHA-256 digest has 32 bytes, not \(digest.count)")
                }
                outcome.digest = Hex.string(digest)
            }
            self = .result(TrialReport(trialID: id, attempt: attempt, token: token, outcome: outcome,
                                       checkpoint: checkpoint, model: model))
        case .goodbye:
            self = .goodbye(abandoned: try r.presence("goodbye.abandoned") ? try r.trialID("goodbye.abandoned") : nil)
        case .datasetRequest:
            self = .datasetRequest(fingerprint: try r.string("datasetRequest.fingerprint"),
                                   chunkIndex: try r.u32("datasetRequest.chunkIndex"))
        case .heartbeat:
            self = .heartbeat
        case .assign:
            let id = try r.trialID("assign.trialID")
            let attempt = try r.u32("assign.attempt")
            let token = Array(try r.byteArray("assign.token"))
            let fingerprint = try r.string("assign.datasetFingerprint")
            let config = try r.config()
            let dataset = try r.dataset()
            let save = try r.flags("assign.save", known: 0b111)
            let checkpoint = try r.presence("assign.checkpoint") ? Array(try r.byteArray("assign.checkpoint")) : nil
            var assignment = Assignment(trialID: id, attempt: attempt, config: config, dataset: dataset,
                                        datasetFingerprint: fingerprint, saveCheckpoint: save & 1 != 0,
                                        saveModel: save & 2 != 0, checkpoint: checkpoint, token: token)
            assignment.sendDigest = save & 4 != 0
            self = .assign(assignment)
        case .ack:
            self = .ack(try r.trialID("ack.trialID"))
        case .refuse:
            self = .refuse(reason: try r.string("refuse.reason"))
        case .quarantine:
            self = .quarantine(reason: try r.string("quarantine.reason"))
        case .abandon:
            self = .abandon(try r.trialID("abandon.trialID"))
        case .shutdown:
            self = .shutdown
        case .noWork:
            self = .noWork(retryAfterMilliseconds: try r.u32("noWork.retryAfterMilliseconds"))
        case .datasetChunk:
            let fingerprint = try r.string("datasetChunk.fingerprint")
            let index = try r.u32("datasetChunk.index")
            let total = try r.u32("datasetChunk.total")
            guard index < total else { throw chunkIndexError(index, total) }
            let expected = try r.u32("datasetChunk.checksum")
            let bytes = try r.byteArray("datasetChunk.bytes")
            let actual = CRC32.checksum(bytes)
            guard actual == expected else {
                throw .checksumMismatch(field: "datasetChunk.bytes", expected: expected, actual: actual)
            }
            self = .datasetChunk(DatasetChunk(fingerprint: fingerprint, index: index, total: total,
                                              bytes: Array(bytes)))
        case .datasetUnavailable:
            self = .datasetUnavailable(fingerprint: try r.string("datasetUnavailable.fingerprint"),
                                       reason: try r.string("datasetUnavailable.reason"))
        }
        try r.finish(type)
    }

    /// The reason of a `refuse` frame of any protocol version (its layout is frozen); later
    /// versions may append fields after it, so trailing bytes are allowed here.
    private static func frozenRefusal(_ frame: [UInt8], maxFrameSize: Int) -> String? {
        guard frame.count >= WireFormat.headerSize, frame[4] == MessageType.refuse.rawValue else { return nil }
        var r = WireReader(frame, offset: WireFormat.headerSize, limit: maxFrameSize)
        return try? r.string("refuse.reason")
    }
}

/// The 32 bytes of a digest given as 64 lower-case hex digits; anything else is refused,
/// so that every encoded frame decodes to the same message.
private func digestBytes(_ hex: String) throws(ProtocolError) -> [UInt8] {
    let utf8 = Array(hex.utf8)
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    guard utf8.count == 64 else {
        throw .invalidValue(field: "result.digest", reason: "a SHA-256 digest has 64 hex digits, not \(utf8.count)")
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    for i in stride(from: 0, to: 64, by: 2) {
        guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else {
            throw .invalidValue(field: "result.digest", reason: "not lower-case hex")
        }
        bytes.append(high << 4 | low)
    }
    return bytes
}

private func chunkIndexError(_ index: UInt32, _ total: UInt32) -> ProtocolError {
    .invalidValue(field: "datasetChunk.index", reason: "chunk \(index) of \(total) is out of range")
}

extension WireReader {
    /// A byte of flags; a bit outside `known` is refused, so every frame decodes to one message.
    mutating func flags(_ field: StaticString, known: UInt8) throws(ProtocolError) -> UInt8 {
        let value = try u8(field)
        guard value & ~known == 0 else { throw .invalidValue(field: "\(field)", reason: "unknown flags \(value)") }
        return value
    }

    mutating func stringList(_ field: StaticString) throws(ProtocolError) -> [String] {
        let n = try count(field, minimumSize: 4)
        var list: [String] = []
        list.reserveCapacity(n)
        for _ in 0..<n { list.append(try string(field)) }
        return list
    }
}
