import HypergridProtocol
import HypergridSearchSpace
import Logging

/// The timing knobs of a ``WorkerSession``. All times are seconds.
public struct WorkerSessionPolicy: HeartbeatTiming, Sendable, Equatable {
    /// Seconds between heartbeats to the coordinator, sent whether idle or training.
    public var heartbeatInterval: Double
    /// After `heartbeatInterval × liveness` seconds without a message from the coordinator
    /// the connection is presumed dead and remade (Paranoid Pirate's HEARTBEAT_LIVENESS).
    public var liveness: Int
    /// The first wait before reconnecting; it doubles after every failed connection.
    public var initialBackoff: Double
    /// The longest wait between reconnections.
    public var maxBackoff: Double
    /// An unacknowledged result is sent again this long after it was last sent.
    public var resendInterval: Double
    /// A dataset chunk request that gets no answer for this long is sent again.
    public var chunkTimeout: Double
    /// A dataset fetch fails after this many unanswered requests for one chunk in a row.
    public var chunkAttempts: Int
    /// Give up (stop with ``WorkerStopReason/gaveUp(seconds:everHeard:)``) after this long without
    /// hearing from the coordinator while no trial is running; `nil` never gives up.
    public var giveUpAfter: Double?
    /// After a `shutdown`, how long to keep resending unacknowledged results before leaving
    /// them on disk for the next worker.
    public var shutdownGrace: Double
    /// After an `abandon`, how long the training thread has to let go of the trial; past
    /// it the thread is taken to be wedged and the worker exits, to be restarted.
    public var abandonGrace: Double

    /// Traps on non-positive intervals or counts below 1 (the CLI validates flags first).
    public init(heartbeatInterval: Double = 1, liveness: Int = 4, initialBackoff: Double = 1,
                maxBackoff: Double = 32, resendInterval: Double = 2, chunkTimeout: Double = 15,
                chunkAttempts: Int = 4, giveUpAfter: Double? = 300, shutdownGrace: Double? = nil) {
        Self.checkHeartbeat(interval: heartbeatInterval, liveness: liveness)
        precondition(chunkAttempts >= 1, "chunkAttempts must be at least 1")
        precondition(initialBackoff > 0 && maxBackoff >= initialBackoff, "backoff bounds must be positive and ordered")
        precondition(resendInterval > 0 && chunkTimeout > 0, "resend and chunk intervals must be positive")
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.resendInterval = resendInterval
        self.chunkTimeout = chunkTimeout
        self.chunkAttempts = chunkAttempts
        self.giveUpAfter = giveUpAfter
        self.shutdownGrace = shutdownGrace ?? Self.expiry(heartbeatInterval: heartbeatInterval, liveness: liveness)
        self.abandonGrace = Self.expiry(heartbeatInterval: heartbeatInterval, liveness: liveness)
    }
}

/// Something that happened, fed to ``WorkerSession/handle(_:at:)`` with the current time.
public enum WorkerSessionEvent: Sendable, Equatable {
    /// The worker starts: connect and introduce itself.
    case start
    /// Time passed; the driver ticks at least as often as ``WorkerSession/nextDeadline``.
    case tick
    /// A decoded message arrived from the coordinator.
    case received(Message)
    /// A frame from the coordinator could not be decoded (it still proves the peer is alive).
    case undecodable(ProtocolError)
    /// The training thread finished an epoch of the current trial.
    case trialProgress(TrialProgress)
    /// The training thread has completed this many iterations of this trial (the driver
    /// reads the count between polls; heartbeats carry it while a trial trains).
    case iterationsDone(TrialID, Int)
    /// A cancelled trial has let go of the training thread.
    case trialStopped(TrialID)
    /// The training thread finished a trial (done, diverged or failed) and has already
    /// written the report to disk.
    case trialFinished(TrialReport)
    /// The training thread has no local copy of this dataset: fetch it from the coordinator.
    case datasetNeeded(fingerprint: String)
    /// SIGINT/SIGTERM or a programmatic stop: abandon the current trial and leave.
    case stopRequested
    /// The coordinator turned down this connection's CURVE handshake after checking the
    /// worker's key (ZAP status, e.g. 400: the key is not in its authorized keys).
    case handshakeRefused(status: UInt32)
}

/// Something the driver must do, in the order returned.
public enum WorkerSessionAction: Sendable, Equatable {
    /// Close the current socket, if any, and connect a new one.
    case connect
    /// Close the socket (its unsent messages linger briefly).
    case disconnect
    /// Send `ready` with a freshly built ``WorkerHello`` (the cached datasets change).
    case sendReady
    /// Send this message on the current socket.
    case send(Message)
    /// Hand this trial to the training thread, which is idle.
    case startTrial(Assignment)
    /// Ask the training thread to stop the current trial without reporting it.
    case cancelTrial
    /// The whole dataset arrived from the coordinator; the training thread verifies and caches it.
    case provideDataset(fingerprint: String, bytes: [UInt8])
    /// The dataset could not be fetched; the training thread reports the trial as failed.
    case datasetFailed(fingerprint: String, reason: String)
    /// The coordinator acknowledged this result: delete it from disk.
    case discardResult(TrialID)
    case log(Logger.Level, String)
    /// Leave the loop; emitted once, last.
    case stop(WorkerStopReason)
}

/// Why a session ended.
public enum WorkerStopReason: Sendable, Equatable {
    /// The coordinator sent `shutdown` (the run is over).
    case shutdown
    /// A signal or ``WorkerClient/requestStop()`` asked the worker to leave.
    case interrupted
    /// The coordinator turned this worker away.
    case refused(reason: String)
    /// The coordinator quarantined this worker: no more work for it in this run.
    case quarantined(reason: String)
    /// The training thread did not let go of an abandoned trial within
    /// ``WorkerSessionPolicy/abandonGrace`` seconds: it is wedged, and only a new process helps.
    case trainingWedged(TrialID, seconds: Double)
    /// The coordinator speaks another protocol version.
    case versionMismatch(peer: UInt16, local: UInt16, refusal: String?)
    /// Nothing was heard from the coordinator for this many seconds while idle;
    /// `everHeard` tells whether it answered at all since the worker started.
    case gaveUp(seconds: Double, everHeard: Bool)
}
