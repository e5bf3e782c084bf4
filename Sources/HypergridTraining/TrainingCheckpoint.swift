import HypergridData
import HypergridKernel
import HypergridSearchSpace

/// Everything a stopped training run needs to continue as if it had never stopped: the
/// network (parameters and BatchNorm running statistics), the optimizer's buffers and step
/// count, the minibatch stream's position, the epoch and iteration reached, the learning
/// rate the schedule is at, and the history so far (so that the continued trial reports
/// the same curves and final loss as an uninterrupted one).
///
/// It travels and rests as a versioned binary blob (``encoded()``): little-endian fields
/// after the magic `HGCK` and a format version, closed by a CRC-32 of everything before it.
public struct TrainingCheckpoint: Sendable, Equatable {
    /// The blob layout's version; a blob of another version is refused, never guessed at.
    public static let formatVersion: UInt16 = 1
    static let magic: [UInt8] = Array("HGCK".utf8)

    /// ``HypergridVersion/numerics`` of the trainer that wrote it.
    public var numerics: String
    /// The trial's canonical configuration without its halving budget: a checkpoint only
    /// continues the same schedule, seed and model.
    public var configKey: String
    public var featureCount: Int
    public var classCount: Int
    public var trainRows: Int
    /// Iterations and whole epochs completed.
    public var iteration: Int
    public var epoch: Int
    /// The learning rate of the next epoch (after the decays so far).
    public var learningRate: Double
    /// The validation accuracy measured at the end of the last epoch.
    public var lastValidation: Double?
    public var history: TrialHistory
    public var optimizerSteps: Int
    public var optimizerBuffers: [Float]
    public var network: [Float]
    public var sampler: PhiloxPosition

    /// The key a checkpoint of `config` carries: its canonical JSON without the budget.
    static func key(_ config: TrialConfig) -> String {
        var c = config
        c.stopAfterEpochs = nil
        return String(decoding: c.canonicalJSON, as: UTF8.self)
    }

    /// Why this checkpoint cannot continue `config` on `data`, or nil if it can.
    func mismatch(config: TrialConfig, data: DatasetSplits) -> String? {
        if numerics != HypergridVersion.numerics { return "it was written by numerics \(numerics)" }
        if configKey != Self.key(config) { return "it belongs to another configuration" }
        if featureCount != data.featureCount || classCount != data.classCount || trainRows != data.train.rows {
            return "it was trained on data of another shape"
        }
        return nil
    }

    // MARK: the blob

    /// The checkpoint as bytes.
    public func encoded() -> [UInt8] {
        var w = CheckpointWriter()
        w.bytes.append(contentsOf: Self.magic)
        w.u16(Self.formatVersion)
        w.string(numerics)
        w.string(configKey)
        for n in [featureCount, classCount, trainRows, iteration, epoch] { w.i64(n) }
        w.f64(learningRate)
        w.optional(lastValidation)
        w.i64(history.lossEvery)
        w.floats(history.loss)
        w.doubles(history.trainAccuracy)
        w.doubles(history.validationAccuracy)
        w.i64(optimizerSteps)
        w.floats(optimizerBuffers)
        w.floats(network)
        w.u64(sampler.blockIndex)
        w.i64(sampler.used)
        w.optional(sampler.spareGaussian)
        // Regression's curve, only when there is one: classification checkpoints keep their bytes.
        if let curve = history.validationRMSE { w.doubles(curve) }
        let crc = w.bytes.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) }
        w.u32(crc)
        return w.bytes
    }

    /// Decodes a blob written by ``encoded()``; throws ``CheckpointError`` for anything else.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 10, Array(bytes.prefix(4)) == Self.magic else {
            throw CheckpointError("not a hypergrid checkpoint")
        }
        let body = bytes.count - 4
        let stored = bytes[body...].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        let actual = bytes.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: body) }
        guard stored == actual else { throw CheckpointError("checksum mismatch: the checkpoint is damaged") }
        var r = CheckpointReader(bytes: bytes, end: body, offset: 4)
        let version = try r.u16()
        guard version == Self.formatVersion else {
            throw CheckpointError("checkpoint format \(version), this build reads \(Self.formatVersion)")
        }
        numerics = try r.string()
        configKey = try r.string()
        featureCount = try r.i64(); classCount = try r.i64(); trainRows = try r.i64()
        iteration = try r.i64(); epoch = try r.i64()
        learningRate = try r.f64()
        lastValidation = try r.optional()
        history = TrialHistory(lossEvery: try r.i64())
        history.loss = try r.floats()
        history.trainAccuracy = try r.doubles()
        history.validationAccuracy = try r.doubles()
        optimizerSteps = try r.i64()
        optimizerBuffers = try r.floats()
        network = try r.floats()
        sampler = PhiloxPosition(blockIndex: try r.u64(), used: try r.i64(), spareGaussian: try r.optional())
        if r.offset < body { history.validationRMSE = try r.doubles() }
        guard r.offset == body else { throw CheckpointError("\(body - r.offset) unexpected bytes before the checksum") }
    }

    init(numerics: String, configKey: String, featureCount: Int, classCount: Int, trainRows: Int,
         iteration: Int, epoch: Int, learningRate: Double, lastValidation: Double?, history: TrialHistory,
         optimizerSteps: Int, optimizerBuffers: [Float], network: [Float], sampler: PhiloxPosition) {
        self.numerics = numerics
        self.configKey = configKey
        self.featureCount = featureCount
        self.classCount = classCount
        self.trainRows = trainRows
        self.iteration = iteration
        self.epoch = epoch
        self.learningRate = learningRate
        self.lastValidation = lastValidation
        self.history = history
        self.optimizerSteps = optimizerSteps
        self.optimizerBuffers = optimizerBuffers
        self.network = network
        self.sampler = sampler
    }
}

/// Why a checkpoint blob could not be read.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}

private struct CheckpointWriter {
    var bytes: [UInt8] = []
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
    mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8((v >> (8 * UInt64(k))) & 0xFF)) } }
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func optional(_ v: Double?) {
        bytes.append(v == nil ? 0 : 1)
        if let v { f64(v) }
    }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        i64(utf8.count)
        bytes.append(contentsOf: utf8)
    }
    mutating func floats(_ values: [Float]) {
        i64(values.count)
        // Millions of floats (weights and optimizer buffers): one copy, not four appends each.
        // The format is little-endian, which is the memory layout on every supported target.
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { u32(v.bitPattern) }
        #endif
    }
    mutating func doubles(_ values: [Double]) {
        i64(values.count)
        for v in values { f64(v) }
    }
}

private struct CheckpointReader {
    let bytes: [UInt8]
    let end: Int
    var offset: Int

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - offset else { throw CheckpointError("truncated at byte \(offset)") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func little(_ n: Int) throws -> UInt64 {
        try take(n).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    mutating func u16() throws -> UInt16 { UInt16(try little(2)) }
    mutating func u64() throws -> UInt64 { try little(8) }
    mutating func i64() throws -> Int { Int(Int64(bitPattern: try little(8))) }
    mutating func f64() throws -> Double { Double(bitPattern: try little(8)) }
    mutating func optional() throws -> Double? {
        switch try take(1).first! {
        case 0: return nil
        case 1: return try f64()
        case let tag: throw CheckpointError("bad presence byte \(tag) at \(offset - 1)")
        }
    }
    mutating func count(_ size: Int) throws -> Int {
        let n = try i64()
        guard n >= 0, n <= (end - offset) / size else { throw CheckpointError("bad count \(n) at \(offset - 8)") }
        return n
    }
    mutating func string() throws -> String {
        let n = try count(1)
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw CheckpointError("invalid UTF-8 at \(offset - n)") }
        return s
    }
    mutating func floats() throws -> [Float] {
        let n = try count(4)
        #if _endian(little)
        // One copy of the little-endian bytes (see `CheckpointWriter.floats`).
        let raw = try take(4 * n)
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = n
        }
        #else
        var out: [Float] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(Float(bitPattern: UInt32(try little(4)))) }
        return out
        #endif
    }
    mutating func doubles() throws -> [Double] {
        let n = try count(8)
        var out: [Double] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try f64()) }
        return out
    }
}
