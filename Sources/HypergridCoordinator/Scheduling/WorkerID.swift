import HypergridPrimitives

/// A worker's identity on the coordinator's socket: the opaque routing id that a ZeroMQ
/// ROUTER socket prefixes to each of the worker's messages.
///
/// The scheduler only compares and orders ids; it never interprets their bytes.
public struct WorkerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The routing id as the socket reported it.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    /// An id from text, for tests and for transports whose identities are names.
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    /// Lexicographic byte order, so that iterating workers is deterministic.
    public static func < (lhs: WorkerID, rhs: WorkerID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Printable ASCII ids as they are; anything else (libzmq's generated 5-byte ids
    /// start with a zero byte) as `0x`-prefixed hex.
    public var description: String {
        if !bytes.isEmpty, bytes.allSatisfy({ (0x21...0x7e).contains($0) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        return "0x" + Hex.string(bytes)
    }
}

/// What the scheduler keeps of a worker's `ready` message (the protocol's `WorkerHello`).
public struct WorkerProfile: Hashable, Sendable {
    /// A name for people: logs, the journal and the leaderboard (e.g. `host:pid`).
    public var name: String
    /// The worker's ``HypergridVersion/numerics``; a worker whose numerics differ from
    /// the coordinator's is refused, because its results would not be comparable.
    public var numerics: String
    /// Free-form capabilities the worker advertises (e.g. `avx512`); kept for logs.
    public var capabilities: [String]
    /// Assignments it holds besides the one it trains (`hypergrid worker --prefetch`): it
    /// starts the next as soon as a trial ends, while the result travels. 0: one at a time.
    public var prefetch: Int

    public init(name: String, numerics: String, capabilities: [String] = [], prefetch: Int = 0) {
        self.name = name
        self.numerics = numerics
        self.capabilities = capabilities
        self.prefetch = max(prefetch, 0)
    }
}
