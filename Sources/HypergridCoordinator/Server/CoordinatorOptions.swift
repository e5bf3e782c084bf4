import ZeroMQ
import HypergridSearchSpace

/// The preprocessed dataset a run trains on, as the coordinator offers it to workers.
///
/// The coordinator never trains and never imports the kernel: the executable prepares
/// the data (which needs the kernel's GEMM for PCA) and hands over only its identity
/// and the cache file that remote workers may download in chunks.
public struct DatasetOffer: Sendable {
    public var spec: DatasetSpec
    /// The prepared dataset's fingerprint; trial ids hash it.
    public var fingerprint: String
    public var shape: DatasetShape
    /// The checksummed cache file with the preprocessed arrays, served to workers that
    /// lack the data; `nil` when there is none (workers must then have the sources).
    public var cacheFile: String?

    public init(spec: DatasetSpec, fingerprint: String, shape: DatasetShape, cacheFile: String?) {
        self.spec = spec
        self.fingerprint = fingerprint
        self.shape = shape
        self.cacheFile = cacheFile
    }
}

/// CurveZMQ for the coordinator's socket: its secret key and the workers it admits.
public struct CoordinatorCurve: Sendable {
    /// The coordinator's long-term secret key; workers need the matching public key.
    public var secretKey: CurveKey
    /// Public keys of the workers allowed to connect; a ZAP handler refuses all others.
    public var authorizedKeys: Set<CurveKey>

    public init(secretKey: CurveKey, authorizedKeys: Set<CurveKey>) {
        self.secretKey = secretKey
        self.authorizedKeys = authorizedKeys
    }
}

/// How a coordinator listens, paces and reports.
public struct CoordinatorOptions: Sendable {
    /// ZeroMQ endpoint to bind, e.g. `tcp://127.0.0.1:5555` or `tcp://127.0.0.1:*`.
    public var bind: String
    /// Holds `journal.jsonl` and `leaderboard.csv`.
    public var runDirectory: String
    public var policy: SchedulerPolicy
    /// Bytes per dataset chunk sent to a worker (well under the frame limit).
    public var chunkSize: Int
    /// Redraw a one-line status on standard error (when it is a terminal).
    public var liveStatus: Bool
    /// How many leaderboard rows to print when the run ends.
    public var summaryRows: Int
    /// Encrypt and authenticate every connection; nil serves plain TCP (loopback or trusted networks).
    public var curve: CoordinatorCurve?
    /// Keep the models of this many best trials (and the refit's) in `models/` (see ``ModelStore``).
    public var keepModels = 1

    public init(bind: String = "tcp://127.0.0.1:5555", runDirectory: String,
                policy: SchedulerPolicy = SchedulerPolicy(), chunkSize: Int = 4 << 20,
                liveStatus: Bool = false, summaryRows: Int = 10, curve: CoordinatorCurve? = nil) {
        self.bind = bind
        self.runDirectory = runDirectory
        self.policy = policy
        self.chunkSize = chunkSize
        self.liveStatus = liveStatus
        self.summaryRows = summaryRows
        self.curve = curve
    }
}
