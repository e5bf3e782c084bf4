import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Events a socket can be polled for.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one whole message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

extension Socket {
    /// Waits until at least one of `items` has one of its requested events, or until
    /// `timeoutMilliseconds` pass (0: just check; -1: wait forever).
    ///
    /// Returns, for each item in order, the requested events that are ready (empty if none);
    /// all empty on timeout, and also when a signal interrupted the wait, so that a loop
    /// around `poll` can check its stop flag. All sockets must be used from the calling thread.
    public static func poll(_ items: [(socket: Socket, events: PollEvents)],
                            timeoutMilliseconds: Int) throws -> [PollEvents] {
        var raw = try items.map { item in
            zmq_pollitem_t(socket: try item.socket.raw("poll"), fd: 0, events: item.events.rawValue, revents: 0)
        }
        let rc = raw.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if rc < 0 {
            if zmq_errno() == EINTR { return Array(repeating: [], count: items.count) }
            throw ZMQError.last("poll")
        }
        return zip(raw, items).map { PollEvents(rawValue: $0.revents).intersection($1.events) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) until some of `sockets` are readable;
    /// returns their indices in `sockets`, empty on timeout.
    public static func pollReadable(_ sockets: [Socket], timeoutMilliseconds: Int) throws -> [Int] {
        let ready = try poll(sockets.map { ($0, .readable) }, timeoutMilliseconds: timeoutMilliseconds)
        return ready.indices.filter { ready[$0].contains(.readable) }
    }
}
