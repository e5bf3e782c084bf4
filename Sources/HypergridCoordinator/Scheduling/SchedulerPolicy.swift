import HypergridProtocol
import HypergridSearchSpace

/// The knobs of a ``Scheduler``.
public struct SchedulerPolicy: HeartbeatTiming, Hashable, Sendable {
    /// Seconds between the coordinator's heartbeats to each worker, and the unit of
    /// silence that ``liveness`` counts (the Paranoid Pirate pattern's HEARTBEAT_INTERVAL).
    public var heartbeatInterval: Double
    /// A worker silent for `heartbeatInterval × liveness` seconds is presumed dead and
    /// its trial is requeued (Paranoid Pirate's HEARTBEAT_LIVENESS).
    public var liveness: Int
    /// A trial is recorded as failed once this many of its attempts ended with the worker
    /// lost (gone silent, or restarted while running it): a trial that keeps killing
    /// workers, say by running out of memory, must not take down the whole fleet.
    /// Attempts a worker handed back with a goodbye do not count: that was not the trial's fault.
    public var maxAttempts: Int
    /// Keep workers connected when every trial is finished instead of shutting them down.
    public var keepAlive: Bool
    /// Workers whose numerics version differs are refused.
    public var numerics: String
    /// A worker whose last this-many recorded results in a row are failures, while another
    /// worker's trials succeed, is quarantined: it gets no more work in this run (a broken
    /// machine must not fail hundreds of trials). 0 never quarantines for failures.
    public var quarantineAfter: Int
    /// A trial still running this many seconds after it was assigned is taken from its
    /// worker and requeued (a lost attempt); nil for no limit. It also caps the stall bound
    /// (see ``Scheduler`` and docs/fault-tolerance.md).
    public var trialTimeout: Double?
    /// Verified results (issue 17 §3, `search.verify`): the share of finished trials re-run
    /// on another worker to compare result digests, at least one per worker; 0 turns
    /// verification off (and the wire, journal and leaderboard are as without it).
    public var verifyFraction: Double
    /// Seeds which trials are sampled for verification (the grid's `search.seed`).
    public var verifySeed: UInt64

    /// Traps on a non-positive interval, or a liveness or attempt count below 1.
    public init(heartbeatInterval: Double = 1, liveness: Int = 4, maxAttempts: Int = 3,
                keepAlive: Bool = false, numerics: String = HypergridVersion.numerics,
                quarantineAfter: Int = 3, trialTimeout: Double? = nil, verifyFraction: Double = 0,
                verifySeed: UInt64 = 0) {
        Self.checkHeartbeat(interval: heartbeatInterval, liveness: liveness)
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        precondition(quarantineAfter >= 0, "quarantineAfter must not be negative")
        precondition(trialTimeout.map { $0 > 0 && $0.isFinite } ?? true, "trialTimeout must be positive")
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.maxAttempts = maxAttempts
        self.keepAlive = keepAlive
        self.numerics = numerics
        self.quarantineAfter = quarantineAfter
        self.trialTimeout = trialTimeout
        precondition(verifyFraction >= 0 && verifyFraction <= 1, "verifyFraction must be in 0...1")
        self.verifyFraction = verifyFraction
        self.verifySeed = verifySeed
    }

    /// The least stall bound: a trial's progress may pause this long whatever its
    /// estimate (an epoch's validation pass, the final evaluation, a slow checkpoint).
    public var stallFloor: Double { 4 * expiry }
    /// The stall bound is this many times the trial's whole expected duration.
    public static let stallFactor = 5.0
}
