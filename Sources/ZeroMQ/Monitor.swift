import CZeroMQ

/// Socket events libzmq reports to a monitor (`zmq_socket_monitor`), the ones hypergrid uses.
public struct MonitorEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The peer completed the handshake (for CURVE: both keys checked).
    public static let handshakeSucceeded = MonitorEvents(rawValue: Int32(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
    /// The peer turned the handshake down after authentication (a ZAP refusal); the event's
    /// value is the ZAP status code, e.g. 400.
    public static let handshakeFailedAuth = MonitorEvents(rawValue: Int32(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
}

/// One event read from a monitor socket.
public struct MonitorEvent: Equatable, Sendable {
    public var events: MonitorEvents
    /// The event's value: for ``MonitorEvents/handshakeFailedAuth`` the ZAP status code.
    public var value: UInt32
    /// The endpoint the event is about.
    public var endpoint: String

    public static func == (a: MonitorEvent, b: MonitorEvent) -> Bool {
        a.events.rawValue == b.events.rawValue && a.value == b.value && a.endpoint == b.endpoint
    }
}

extension Socket {
    /// Starts reporting `events` of this socket to a PAIR socket, which this returns
    /// connected; read it with ``readMonitorEvent()``. The monitor stops when this socket closes.
    public func monitor(_ events: MonitorEvents, endpoint: String) throws -> Socket {
        if zmq_socket_monitor(try raw("monitor", endpoint), endpoint, events.rawValue) != 0 {
            throw ZMQError.last("monitor", endpoint)
        }
        let pair = try Socket(context, type: .pair)
        try pair.set(.linger, 0)
        try pair.connect(endpoint)
        return pair
    }

    /// The next event on a monitor socket (from ``monitor(_:endpoint:)``), or nil when none
    /// is queued. Its first frame is a 16-bit event and a 32-bit value (host order), its
    /// second the endpoint.
    public func readMonitorEvent() throws -> MonitorEvent? {
        guard let frames = try receive(timeoutMilliseconds: 0) else { return nil }
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let event = frames[0].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = frames[0].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return MonitorEvent(events: MonitorEvents(rawValue: Int32(event)), value: value,
                            endpoint: String(decoding: frames[1], as: UTF8.self))
    }
}
