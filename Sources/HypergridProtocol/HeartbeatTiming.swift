/// The heartbeat rule both ends of a connection follow (ZeroMQ guide's Paranoid Pirate
/// pattern): each side sends a heartbeat every ``heartbeatInterval`` seconds, and presumes
/// its peer dead after ``expiry`` seconds, ``liveness`` intervals, without a message.
///
/// `SchedulerPolicy` (the coordinator's side) and `WorkerSessionPolicy` (the worker's)
/// conform, so that the rule and its validation are written once.
public protocol HeartbeatTiming {
    /// Seconds between heartbeats to the peer (Paranoid Pirate's HEARTBEAT_INTERVAL).
    var heartbeatInterval: Double { get }
    /// How many intervals of silence mean the peer is gone (HEARTBEAT_LIVENESS).
    var liveness: Int { get }
}

extension HeartbeatTiming {
    /// Seconds of silence after which the peer is presumed dead.
    public var expiry: Double { Self.expiry(heartbeatInterval: heartbeatInterval, liveness: liveness) }

    /// `heartbeatInterval × liveness`, for initialisers that need it before `self` exists.
    public static func expiry(heartbeatInterval: Double, liveness: Int) -> Double {
        heartbeatInterval * Double(liveness)
    }

    /// Traps on a non-positive or non-finite interval, or a liveness below 1 (the CLI
    /// validates its flags before building a policy).
    public static func checkHeartbeat(interval: Double, liveness: Int) {
        precondition(interval > 0 && interval.isFinite, "heartbeatInterval must be positive")
        precondition(liveness >= 1, "liveness must be at least 1")
    }
}
