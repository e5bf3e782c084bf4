import Foundation
import HypergridPreprocessing
import HypergridProtocol
import Logging
import ZeroMQ

/// A hypergrid worker: connects to a coordinator, trains the trials it is assigned and
/// sends their results back until they are acknowledged.
///
/// ```swift
/// let client = WorkerClient(options: .init(endpoint: "tcp://10.0.0.5:5555"))
/// let watcher = SignalWatcher { _ in client.requestStop() }
/// let exit = try client.run()   // .shutdown or .interrupted; throws WorkerError otherwise
/// ```
///
/// `run()` blocks its thread, which owns the ZeroMQ DEALER socket; trials train on a
/// separate training thread, which splits each step over `options.threads` threads when
/// that is more than one (see ``WorkerSession`` for the protocol rules). Results are written to
/// `<cacheDirectory>/pending-results/` before they are first sent and deleted when
/// acknowledged, so that a coordinator restart, a lost connection or a restart of the
/// worker itself loses none.
public final class WorkerClient: @unchecked Sendable {
    /// Everything a worker is configured with.
    public struct Options: Sendable {
        /// The coordinator's ROUTER endpoint, `tcp://HOST:PORT`.
        public var endpoint: String
        /// A name for the coordinator's logs and journal; default `host:pid`.
        public var name: String
        /// Threads each trial trains on (``Trainer/threads``; results are bit-identical at
        /// any count), also reported to the coordinator in `ready`.
        public var threads: Int
        /// Where prepared datasets are cached and unacknowledged results are kept.
        public var cacheDirectory: URL
        /// Heartbeat, liveness, backoff and resend timing.
        public var policy: WorkerSessionPolicy
        /// Where log lines go.
        public var logger: Logger
        /// CurveZMQ keys; nil connects in plain TCP.
        public var curve: WorkerCurve?
        /// A test-only fault hook (`hypergrid worker --test-wedge-training-after N`, hidden):
        /// the training thread blocks for good after this many iterations trained by the
        /// process, while the socket thread heartbeats on, as a hung trainer would. Used by
        /// the end-to-end test of progress liveness; nil in any real use.
        public var wedgeTrainingAfter: Int?
        /// A test-only fault hook (`--test-fail-trials`, hidden): every trial is reported
        /// failed without training, as on a machine whose every trial breaks (the end-to-end
        /// test of quarantine). False in any real use.
        public var failEveryTrial = false
        /// Assignments to hold besides the one training (`--prefetch`, 0 to
        /// ``WorkerHello/maxPrefetch``): the next starts as soon as a trial ends, while its
        /// result travels. Worth it for trials of milliseconds; with long trials it only
        /// keeps work from idle workers at the end of a stage.
        public var prefetch = 0
        /// The largest ``prefetch``.
        public static let maxPrefetch = WorkerHello.maxPrefetch

        /// Options with the defaults of `hypergrid worker`.
        public init(endpoint: String, name: String = HostInfo.defaultWorkerName, threads: Int = 1,
                    cacheDirectory: URL = DatasetCache.defaultDirectory,
                    policy: WorkerSessionPolicy = WorkerSessionPolicy(),
                    logger: Logger = Logger(label: "hypergrid.worker"), curve: WorkerCurve? = nil) {
            self.endpoint = endpoint
            self.name = name
            self.threads = threads
            self.cacheDirectory = cacheDirectory
            self.policy = policy
            self.logger = logger
            self.curve = curve
        }
    }

    /// The keys of a worker that talks CurveZMQ to its coordinator.
    public struct WorkerCurve: Sendable {
        /// This worker's key pair; the public key must be in the coordinator's authorized keys.
        public var publicKey: CurveKey
        public var secretKey: CurveKey
        /// The coordinator's public key: a server without the matching secret gets nothing.
        public var coordinatorKey: CurveKey

        public init(publicKey: CurveKey, secretKey: CurveKey, coordinatorKey: CurveKey) {
            self.publicKey = publicKey
            self.secretKey = secretKey
            self.coordinatorKey = coordinatorKey
        }
    }

    /// How a run ended without an error.
    public enum Exit: Sendable, Equatable {
        /// The coordinator sent `shutdown`.
        case shutdown
        /// ``requestStop()`` was called (e.g. on SIGINT/SIGTERM); the running trial, if any,
        /// was handed back with `goodbye`.
        case interrupted
    }

    /// The options it was made with.
    public let options: Options
    private let lock = NSLock()
    private var stopRequested = false

    /// A client; nothing happens until ``run()``.
    public init(options: Options) {
        self.options = options
    }

    /// Asks a running (or about to run) client to leave: it cancels the running trial,
    /// sends `goodbye` naming it, and `run()` returns ``Exit/interrupted``. Thread-safe.
    public func requestStop() {
        lock.lock(); stopRequested = true; lock.unlock()
    }

    /// Whether ``requestStop()`` has been called.
    public var isStopRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopRequested
    }

    /// Runs until the coordinator says `shutdown` or ``requestStop()`` is called.
    ///
    /// - Throws: ``WorkerError`` when the endpoint is malformed or does not resolve, the
    ///   cache directory is unusable, the coordinator refuses the worker or speaks another
    ///   protocol version, or nothing is heard from it for
    ///   ``WorkerSessionPolicy/giveUpAfter`` seconds while idle.
    public func run() throws -> Exit {
        try WorkerEndpoint.validate(options.endpoint)
        try WorkerEndpoint.resolve(options.endpoint)
        do {
            try DatasetCache.prepareDirectory(options.cacheDirectory)
        } catch {
            throw WorkerError.io("\(error)")
        }
        let driver = try WorkerDriver(options: options, isStopRequested: { [unowned self] in isStopRequested })
        let reason = try driver.run()
        switch reason {
        case .shutdown: return .shutdown
        case .interrupted: return .interrupted
        case .refused(let why):
            throw WorkerError.refused(address: options.endpoint, reason: why)
        case .quarantined(let why):
            throw WorkerError.quarantined(address: options.endpoint, reason: why)
        case let .trainingWedged(trial, seconds):
            throw WorkerError.trainingWedged(trial: trial.short, seconds: seconds)
        case let .versionMismatch(peer, local, refusal):
            throw WorkerError.versionMismatch(address: options.endpoint, coordinator: peer, worker: local, refusal: refusal)
        case let .gaveUp(seconds, everHeard):
            // The limit rather than the time measured at the (later) check, so that the
            // message is the same on every run: the silence lasted at least that long.
            throw WorkerError.unreachable(address: options.endpoint, seconds: options.policy.giveUpAfter ?? seconds,
                                          everHeard: everHeard,
                                          curve: options.curve != nil)
        }
    }
}
