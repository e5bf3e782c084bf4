/// A point on the coordinator's monotonic clock, in seconds from an arbitrary origin.
///
/// The scheduler never reads a clock: the driver passes the current instant with every
/// event, so tests drive it with a fake clock and run in microseconds.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.seconds < rhs.seconds }
    /// The instant `rhs` seconds later.
    public static func + (lhs: Instant, rhs: Double) -> Instant { Instant(seconds: lhs.seconds + rhs) }
    /// Seconds from `rhs` to `lhs`.
    public static func - (lhs: Instant, rhs: Instant) -> Double { lhs.seconds - rhs.seconds }
    public var description: String { "t=\(seconds)s" }
}
