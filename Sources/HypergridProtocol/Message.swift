import HypergridSearchSpace
import HypergridData

/// One protocol message; each travels as one ZeroMQ frame (after the ROUTER routing-id
/// frame, which the socket layer adds and strips). See ``WireFormat`` for the envelope.
public enum Message: Sendable, Equatable {
    // MARK: worker → coordinator
    /// The first message of a worker: who it is and what it can do.
    case ready(WorkerHello)
    /// Training progress of an assigned trial.
    case progress(TrialProgress)
    /// A trial finished (done, diverged or failed).
    case result(TrialReport)
    /// The worker is leaving; `abandoned` is the trial it was running, if any.
    case goodbye(abandoned: TrialID?)
    /// Asks for chunk `chunkIndex` of the dataset with `fingerprint`.
    case datasetRequest(fingerprint: String, chunkIndex: UInt32)

    // MARK: either direction
    /// Liveness when there is nothing else to say.
    case heartbeat

    // MARK: coordinator → worker
    /// Train this trial.
    case assign(Assignment)
    /// The result of this trial was recorded.
    case ack(TrialID)
    /// The coordinator will not work with this worker (e.g. a numerics version mismatch);
    /// the worker prints `reason` and exits non-zero.
    case refuse(reason: String)
    /// Finish: the worker sends `goodbye` and exits.
    case shutdown
    /// Nothing to assign now; ask again (send `ready` or `heartbeat`) after this long.
    case noWork(retryAfterMilliseconds: UInt32)
    /// One chunk of a dataset the worker requested.
    case datasetChunk(DatasetChunk)
    /// The coordinator cannot serve the dataset with `fingerprint`.
    case datasetUnavailable(fingerprint: String, reason: String)
    /// The worker is quarantined: it gets no more work in this run (its trials kept
    /// failing, or a result of its could not be believed). It abandons its trial, prints
    /// `reason` and exits with its own status. Added within protocol 4 (no other message
    /// changed): a worker that predates it ignores it as an unknown type.
    case quarantine(reason: String)
    /// Stop training this trial: its progress stalled (or it ran past the trial timeout)
    /// and it was requeued. The worker says `ready` again once its training thread has let
    /// go of it, or exits when the thread does not. Added within protocol 4, like `quarantine`.
    case abandon(TrialID)

    /// The type byte of this message.
    public var type: MessageType {
        switch self {
        case .ready: return .ready
        case .progress: return .progress
        case .result: return .result
        case .goodbye: return .goodbye
        case .datasetRequest: return .datasetRequest
        case .heartbeat: return .heartbeat
        case .assign: return .assign
        case .ack: return .ack
        case .refuse: return .refuse
        case .shutdown: return .shutdown
        case .noWork: return .noWork
        case .datasetChunk: return .datasetChunk
        case .datasetUnavailable: return .datasetUnavailable
        case .quarantine: return .quarantine
        case .abandon: return .abandon
        }
    }
}

/// The message type byte: 0x01–0x3F worker → coordinator, 0x40 either, 0x81–0xBF coordinator → worker.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case ready = 0x01, progress = 0x02, result = 0x03, goodbye = 0x04, datasetRequest = 0x05
    case heartbeat = 0x40
    case assign = 0x81, ack = 0x82, refuse = 0x83, shutdown = 0x84, noWork = 0x85
    case datasetChunk = 0x86, datasetUnavailable = 0x87, quarantine = 0x88, abandon = 0x89

    /// Who may send it; a receiver should treat a message from the wrong side as a protocol error.
    public enum Sender: Sendable { case worker, coordinator, either }

    public var sender: Sender {
        switch rawValue {
        case 0x40: return .either
        case ..<0x40: return .worker
        default: return .coordinator
        }
    }

    /// The name used in error text.
    public var name: String { "\(self)" }
}

/// What a worker tells the coordinator when it starts. The protocol version travels in the
/// envelope: a worker of another version fails to decode with `.versionMismatch`.
public struct WorkerHello: Sendable, Equatable {
    /// `HypergridVersion.numerics` of the worker; the coordinator refuses a mismatch.
    public var numericsVersion: String
    /// `HypergridVersion.program` of the worker.
    public var programVersion: String
    /// `host:pid`, for logs and the journal.
    public var workerName: String
    /// The CPU features the kernel was built for and found, e.g. "x86-64-v3 avx2 fma".
    public var cpuFeatures: String
    /// Threads the worker trains with.
    public var threadCount: Int
    /// Fingerprints of datasets the worker has cached, so the coordinator need not send them.
    public var cachedDatasets: [String]
    /// Assignments the worker will hold besides the one it trains (0–``maxPrefetch``): it
    /// starts the next as soon as a trial ends, while its result travels. 0, the default,
    /// is one trial at a time; only then does `ready` keep its earlier bytes.
    public var prefetch: Int

    /// The most assignments a worker may hold besides the one it trains.
    public static let maxPrefetch = 8

    public init(numericsVersion: String = HypergridVersion.numerics,
                programVersion: String = HypergridVersion.program, workerName: String,
                cpuFeatures: String, threadCount: Int, cachedDatasets: [String] = [], prefetch: Int = 0) {
        self.numericsVersion = numericsVersion
        self.programVersion = programVersion
        self.workerName = workerName
        self.cpuFeatures = cpuFeatures
        self.threadCount = threadCount
        self.cachedDatasets = cachedDatasets
        self.prefetch = prefetch
    }
}

/// A trial to train: everything a worker needs besides the dataset's bytes.
public struct Assignment: Sendable, Equatable {
    public var trialID: TrialID
    /// 1 for the first dispatch of a trial, incremented on each re-dispatch, so that late
    /// messages about an abandoned attempt can be told apart.
    public var attempt: UInt32
    public var config: TrialConfig
    public var dataset: DatasetSpec
    /// The fingerprint of the prepared dataset the trial id was computed with.
    public var datasetFingerprint: String
    /// Send the final training state back with the result (a halving rung whose survivors
    /// continue from it).
    public var saveCheckpoint: Bool
    /// Send the trained model (an `.hgmodel` file's bytes) back with the result, for the
    /// coordinator's kept models (`search.keep_models`).
    public var saveModel: Bool
    /// Send a ``ResultDigest`` of the outcome and the final weights with the result (a run
    /// with `search.verify`, issue 17 §3); off, the result is what it was before digests.
    public var sendDigest: Bool = false
    /// A training state to continue from (HypergridTraining's `TrainingCheckpoint` blob);
    /// the result is the same bits as training from scratch.
    public var checkpoint: [UInt8]?
    /// The coordinator's proof of this assignment, opaque to the worker: its result must
    /// carry it back, or the coordinator will not record it.
    public var token: [UInt8]

    public init(trialID: TrialID, attempt: UInt32, config: TrialConfig, dataset: DatasetSpec,
                datasetFingerprint: String, saveCheckpoint: Bool = false, saveModel: Bool = false,
                checkpoint: [UInt8]? = nil, token: [UInt8] = []) {
        self.trialID = trialID
        self.attempt = attempt
        self.config = config
        self.dataset = dataset
        self.datasetFingerprint = datasetFingerprint
        self.saveCheckpoint = saveCheckpoint
        self.saveModel = saveModel
        self.checkpoint = checkpoint
        self.token = token
    }

    /// Whether `trialID` is the id of this configuration on this dataset with these
    /// numerics, i.e. whether the trial is what it claims to be. A worker trains only
    /// assignments for which this holds, so a result filed under an id is always the
    /// result of that id's configuration (a halving rung's budget and a refit included:
    /// the id hashes them).
    public func idMatchesConfiguration(numericsVersion: String = HypergridVersion.numerics) -> Bool {
        TrialID(config: config, datasetFingerprint: datasetFingerprint, numericsVersion: numericsVersion) == trialID
    }
}

/// A progress report of an assigned trial.
public struct TrialProgress: Sendable, Equatable {
    public var trialID: TrialID
    public var attempt: UInt32
    public var epoch: Int
    public var iteration: Int
    /// The latest training loss (may be NaN or infinite for a diverging trial).
    public var loss: Double
    /// Validation accuracy, present at the end of an epoch.
    public var validationAccuracy: Double?

    public init(trialID: TrialID, attempt: UInt32, epoch: Int, iteration: Int, loss: Double,
                validationAccuracy: Double? = nil) {
        self.trialID = trialID
        self.attempt = attempt
        self.epoch = epoch
        self.iteration = iteration
        self.loss = loss
        self.validationAccuracy = validationAccuracy
    }
}

/// The outcome of an assigned trial. Wall time and throughput are in `outcome.metrics`;
/// the sending worker is known from the ROUTER routing id.
public struct TrialReport: Sendable, Equatable {
    public var trialID: TrialID
    public var attempt: UInt32
    /// The ``Assignment/token`` of the assignment this answers.
    public var token: [UInt8]
    public var outcome: TrialOutcome
    /// The final training state, when the assignment asked for it (a `TrainingCheckpoint` blob).
    public var checkpoint: [UInt8]?
    /// The trained model, when the assignment asked for it (an `.hgmodel` file's bytes, opaque
    /// to the coordinator, which only stores them).
    public var model: [UInt8]?

    public init(trialID: TrialID, attempt: UInt32, token: [UInt8] = [], outcome: TrialOutcome,
                checkpoint: [UInt8]? = nil, model: [UInt8]? = nil) {
        self.trialID = trialID
        self.attempt = attempt
        self.token = token
        self.outcome = outcome
        self.checkpoint = checkpoint
        self.model = model
    }

    /// The report of `assignment`'s trial: its id, attempt and token.
    public init(answering assignment: Assignment, outcome: TrialOutcome, checkpoint: [UInt8]? = nil,
                model: [UInt8]? = nil) {
        self.init(trialID: assignment.trialID, attempt: assignment.attempt, token: assignment.token, outcome: outcome,
                  checkpoint: checkpoint, model: model)
    }
}

/// One piece of a dataset sent to a worker; its CRC-32 is computed here and checked on decode.
public struct DatasetChunk: Sendable, Equatable {
    public var fingerprint: String
    /// 0-based; must be below `total`.
    public var index: UInt32
    public var total: UInt32
    public var bytes: [UInt8]
    /// CRC-32 of `bytes`, carried on the wire.
    public var checksum: UInt32 { CRC32.checksum(bytes) }

    public init(fingerprint: String, index: UInt32, total: UInt32, bytes: [UInt8]) {
        self.fingerprint = fingerprint
        self.index = index
        self.total = total
        self.bytes = bytes
    }
}
