import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libzmq call: the errno it set, libzmq's text for it, and what was being done.
///
/// `description` is one sentence, e.g. "cannot bind tcp://127.0.0.1:5555: Address already in use".
/// Callers that must react to a condition switch on ``kind`` rather than on raw errno values.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The conditions callers commonly react to; everything else is `.other`.
    public enum Kind: Equatable, Sendable {
        /// EAGAIN: a non-blocking call would block, or a send/receive timeout expired.
        case wouldBlock
        /// EHOSTUNREACH: a ROUTER with `routerMandatory` was asked to send to an unknown peer.
        case hostUnreachable
        /// ETERM: the context was shut down or terminated; close the socket.
        case terminated
        /// EINTR: a signal interrupted a blocking call.
        case interrupted
        /// EADDRINUSE: the endpoint is already bound.
        case addressInUse
        /// Any other errno.
        case other
    }

    /// The errno value libzmq reported.
    public let errno: Int32
    /// `zmq_strerror(errno)`.
    public let message: String
    /// The operation in the infinitive, as in "cannot *bind* …": "bind", "send", "set option linger", ….
    public let operation: String
    /// The endpoint, option value or peer the operation concerned, if any.
    public let target: String?

    /// Builds an error from an explicit errno (used by the wrapper and by tests).
    public init(errno: Int32, operation: String, target: String? = nil) {
        self.errno = errno
        self.message = String(cString: zmq_strerror(errno))
        self.operation = operation
        self.target = target
    }

    /// Captures `zmq_errno()` right after a failed call.
    static func last(_ operation: String, _ target: String? = nil) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation, target: target)
    }

    /// The condition, classified.
    public var kind: Kind {
        switch errno {
        case EAGAIN: return .wouldBlock
        case EHOSTUNREACH: return .hostUnreachable
        case ETERM: return .terminated
        case EINTR: return .interrupted
        case EADDRINUSE: return .addressInUse
        default: return .other
        }
    }

    public var description: String {
        if let target { return "cannot \(operation) \(target): \(message)" }
        return "cannot \(operation): \(message)"
    }
}
