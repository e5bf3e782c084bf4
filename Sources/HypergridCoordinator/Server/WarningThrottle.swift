import HypergridResults

/// Keeps warnings about what peers send from flooding the log: a hostile peer sending
/// 6,000 garbage frames used to produce 6,000 warning lines, and a log that grows as fast
/// as anyone can send is a disk-filling attack (issue 17 §4).
///
/// A pure state machine like the ``Scheduler``: the caller passes the time. Within each
/// window of ``window`` seconds, the first ``burst`` warnings of one kind about one peer
/// are logged in full; the rest are only counted, and when the window ends one line
/// sums them up: `dropped 523 more malformed frames from 127.0.0.1 in the last 10 s`.
///
/// Peers are keyed by their network address when there is one, not by their routing id:
/// a sender can make a new connection (a new id) for every frame, not a new address.
/// The number of peers tracked per window is bounded too (``maxPeers``); the rest share
/// one key, so that a spoofed flood from many addresses cannot grow the table.
struct WarningThrottle {
    /// What went wrong, as the summary names it (a plural noun phrase).
    enum Kind: String, CaseIterable, Sendable {
        case malformedFrame = "malformed frames"
        case wrongSender = "messages only a coordinator sends"
        case wrongFrameCount = "messages with the wrong number of frames"
        case otherProtocol = "frames of another protocol version"
        case rejectedResult = "results without their assignment's token"
        case unbelievableResult = "results no trainer could have produced"
        case unsendable = "messages that could not be sent"
    }

    struct Key: Hashable {
        var peer: String
        var kind: Kind
    }

    /// Seconds per window.
    let window: Double
    /// Warnings per peer and kind logged in full per window.
    let burst: Int
    /// Distinct peers tracked per window; the others are counted under ``otherPeers``.
    let maxPeers: Int
    /// Full lines per window over all peers and kinds, so that a flood spread over many
    /// peers and kinds stays a few dozen lines too.
    let maxFullLines: Int
    private var fullLines = 0
    static let otherPeers = "other peers"

    private var windowStart: Instant
    /// Warnings seen this window, and how many of them were not logged, per peer and kind.
    private var seen: [Key: (all: Int, held: Int)] = [:]
    private var peers = Set<String>()

    init(window: Double = 10, burst: Int = 5, maxPeers: Int = 8, maxFullLines: Int = 20,
         start: Instant = Instant(seconds: 0)) {
        precondition(window > 0 && burst >= 0 && maxPeers >= 1 && maxFullLines >= 0, "a throttle needs a positive window")
        self.window = window
        self.burst = burst
        self.maxPeers = maxPeers
        self.maxFullLines = maxFullLines
        self.windowStart = start
    }

    /// Counts one warning of `kind` about `peer` (its address, or its id when it has
    /// none) and says whether to log it in full. Call ``summaries(at:)`` first, so that
    /// a window that ended is summed up before a new one begins.
    mutating func admit(_ kind: Kind, peer: String) -> Bool {
        var peer = peer
        if !peers.contains(peer) {
            if peers.count >= maxPeers { peer = Self.otherPeers } else { peers.insert(peer) }
        }
        let key = Key(peer: peer, kind: kind)
        var entry = seen[key] ?? (0, 0)
        entry.all += 1
        let logged = entry.all <= burst && fullLines < maxFullLines
        if logged { fullLines += 1 } else { entry.held += 1 }
        seen[key] = entry
        return logged
    }

    /// When the current window ends: the time by which ``summaries(at:)`` should be asked.
    var windowEnd: Instant { windowStart + window }

    /// The summary lines of a window that has ended by `now` (none while it lasts, or
    /// when nothing was held back), sorted so that the log is deterministic; starts the next window.
    mutating func summaries(at now: Instant) -> [String] {
        guard now >= windowEnd else { return [] }
        return sumUp(at: now)
    }

    /// The lines for warnings held back so far, at the end of a run, whatever the window.
    mutating func flush(at now: Instant) -> [String] { sumUp(at: now) }

    private mutating func sumUp(at now: Instant) -> [String] {
        let seconds = formatFixed(max(now - windowStart, 0), digits: 0)
        let lines = seen.filter { $0.value.held > 0 }
            .sorted { ($0.key.peer, $0.key.kind.rawValue) < ($1.key.peer, $1.key.kind.rawValue) }
            .map { "dropped \($0.value.held) \($0.key.kind.rawValue) from \($0.key.peer) in the last \(seconds) s without logging each (\($0.value.all) in all)" }
        seen.removeAll(keepingCapacity: true)
        peers.removeAll(keepingCapacity: true)
        fullLines = 0
        windowStart = now
        return lines
    }
}
