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
        var w = LittleEndianWriter()
        w.raw(Self.magic)
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
        w.seal()
        return w.bytes
    }

    /// Decodes a blob written by ``encoded()``; throws ``CheckpointError`` for anything else.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 10, Array(bytes.prefix(4)) == Self.magic else {
            throw CheckpointError("not a hypergrid checkpoint")
        }
        guard var r = LittleEndianReader.sealed(bytes, from: 4) else {
            throw CheckpointError("checksum mismatch: the checkpoint is damaged")
        }
        do {
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
            if !r.isAtEnd { history.validationRMSE = try r.doubles() }
        } catch let error as BlobFormatError {
            throw CheckpointError(error.description)
        }
        guard r.isAtEnd else { throw CheckpointError("\(r.end - r.offset) unexpected bytes before the checksum") }
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
