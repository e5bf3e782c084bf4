import CZeroMQ
import HypergridPrimitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket patterns this wrapper exposes: ROUTER/DEALER for the coordinator and workers,
/// REQ/REP (e.g. the ZAP handler) and PAIR (inproc signalling between threads).
public enum SocketType: Sendable, CaseIterable {
    case pair, req, rep, dealer, router

    var raw: Int32 {
        switch self {
        case .pair: return ZMQ_PAIR
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        }
    }
}

/// A libzmq socket. Messages are multipart: `[[UInt8]]`, one array per frame.
///
/// Thread safety: a socket belongs to one thread at a time (libzmq sockets are not
/// thread-safe), so `Socket` is deliberately not `Sendable`. Handing a socket to another
/// thread is allowed only with a full memory barrier in between (e.g. before the thread
/// starts); share the ``Context`` instead and give each thread its own sockets.
///
/// Blocking calls honour ``SocketOption/receiveTimeout`` and ``SocketOption/sendTimeout``;
/// the `timeoutMilliseconds:` variants wait with `zmq_poll` instead and report a timeout
/// as `nil`/`false` rather than as an error.
public final class Socket {
    /// The context this socket was created in; kept alive by the socket.
    public let context: Context
    /// The pattern chosen at creation.
    public let type: SocketType
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket; its linger starts at the context's `defaultLingerMilliseconds`.
    public init(_ context: Context, type: SocketType) throws {
        let ctx = try context.rawHandle(for: "create socket")
        guard let handle = zmq_socket(ctx, type.raw) else { throw ZMQError.last("create socket") }
        self.context = context
        self.type = type
        self.handle = handle
        try set(.linger, Int(context.defaultLingerMilliseconds))
    }

    deinit { close() }

    /// Closes the socket (`zmq_close`); idempotent. Unsent messages are kept for the linger period.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    /// The libzmq handle, or ENOTSOCK once closed (so use-after-close is an error, not a crash).
    func raw(_ operation: String, _ target: String? = nil) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(errno: ENOTSOCK, operation: operation, target: target) }
        return handle
    }

    // MARK: endpoints

    /// Binds to an endpoint; `tcp://127.0.0.1:*` picks a free port (read it from ``lastEndpoint``).
    public func bind(_ endpoint: String) throws {
        if zmq_bind(try raw("bind", endpoint), endpoint) != 0 { throw ZMQError.last("bind", endpoint) }
    }

    /// Unbinds; for a wildcard bind pass the resolved ``lastEndpoint``, not the `*` form.
    public func unbind(_ endpoint: String) throws {
        if zmq_unbind(try raw("unbind", endpoint), endpoint) != 0 { throw ZMQError.last("unbind", endpoint) }
    }

    /// Connects to an endpoint; TCP connections are made (and remade) in the background.
    public func connect(_ endpoint: String) throws {
        if zmq_connect(try raw("connect to", endpoint), endpoint) != 0 {
            throw ZMQError.last("connect to", endpoint)
        }
    }

    /// Drops a connection made by ``connect(_:)``; queued messages for it are discarded.
    public func disconnect(_ endpoint: String) throws {
        if zmq_disconnect(try raw("disconnect from", endpoint), endpoint) != 0 {
            throw ZMQError.last("disconnect from", endpoint)
        }
    }

    /// The endpoint of the last bind or connect, with a wildcard port resolved
    /// (e.g. `tcp://127.0.0.1:40123`); empty if there was none.
    public var lastEndpoint: String {
        get throws { try get(.lastEndpoint) }
    }

    // MARK: sending

    /// Sends a multipart message. With `dontWait`, throws `.wouldBlock` instead of blocking;
    /// otherwise blocks up to the send timeout. libzmq delivers all frames or none.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws {
        let h = try raw("send")
        guard !frames.isEmpty else { throw ZMQError(errno: EINVAL, operation: "send", target: "an empty message") }
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if i < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let rc: Int32
            if frame.isEmpty {
                // An empty Array may have no storage; libzmq copies 0 bytes from any valid pointer.
                var empty: UInt8 = 0
                rc = zmq_send(h, &empty, 0, flags)
            } else {
                rc = frame.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
            }
            if rc < 0 {
                // Only the first frame can fail in practice (e.g. EHOSTUNREACH on a ROUTER's
                // routing-id frame): once it is queued libzmq accepts the rest of the message.
                throw ZMQError.last("send")
            }
        }
    }

    /// Sends one single-frame message.
    public func send(_ frame: [UInt8], dontWait: Bool = false) throws {
        try send([frame], dontWait: dontWait)
    }

    /// ROUTER: sends `frames` to the peer with `routingID` (the first frame received from it).
    /// With ``SocketOption/routerMandatory`` an unknown peer throws `.hostUnreachable`.
    public func send(to routingID: [UInt8], _ frames: [[UInt8]], dontWait: Bool = false) throws {
        do {
            try send([routingID] + frames, dontWait: dontWait)
        } catch let error as ZMQError {
            throw ZMQError(errno: error.errno, operation: "send to", target: "peer \(Hex.string(routingID))")
        }
    }

    /// Sends, waiting up to `timeoutMilliseconds` (-1: forever) for room; returns false on timeout.
    public func send(_ frames: [[UInt8]], timeoutMilliseconds: Int) throws -> Bool {
        try retryUntil(timeoutMilliseconds, waitingFor: .writable) {
            try send(frames, dontWait: true)
            return true
        } ?? false
    }

    // MARK: receiving

    /// Receives a multipart message (a ROUTER's first frame is the sender's routing id).
    /// With `dontWait`, throws `.wouldBlock` when nothing is queued; otherwise blocks up to the
    /// receive timeout.
    public func receive(dontWait: Bool = false) throws -> [[UInt8]] {
        try receiveMessage(dontWait: dontWait).frames
    }

    /// Like ``receive(dontWait:)``, with the sender's IP address (libzmq's `Peer-Address`
    /// metadata; nil for transports without one, such as `ipc://` and `inproc://`).
    public func receiveMessage(dontWait: Bool = false) throws -> (frames: [[UInt8]], peerAddress: String?) {
        let h = try raw("receive")
        var frames: [[UInt8]] = []
        var peerAddress: String?
        var more = true
        while more {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            // Later frames of a message are already queued (atomic delivery), so only the
            // first receive honours `dontWait`.
            let flags: Int32 = frames.isEmpty && dontWait ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&msg, h, flags) < 0 { throw ZMQError.last("receive") }
            // Asked of every frame: a ROUTER's routing-id frame does not always carry it.
            if peerAddress == nil, let address = zmq_msg_gets(&msg, "Peer-Address") {
                peerAddress = String(cString: address)
            }
            let size = zmq_msg_size(&msg)
            if size == 0 {
                frames.append([])
            } else {
                frames.append(Array(UnsafeRawBufferPointer(start: zmq_msg_data(&msg), count: size)))
            }
            more = zmq_msg_more(&msg) != 0
        }
        return (frames, peerAddress)
    }

    /// Receives, waiting up to `timeoutMilliseconds` (0: only what is queued; -1: forever);
    /// returns nil when nothing arrived in time.
    public func receive(timeoutMilliseconds: Int) throws -> [[UInt8]]? {
        try retryUntil(timeoutMilliseconds, waitingFor: .readable) { try receive(dontWait: true) }
    }

    /// Like ``receive(timeoutMilliseconds:)``, with the sender's IP address.
    public func receiveMessage(timeoutMilliseconds: Int) throws -> (frames: [[UInt8]], peerAddress: String?)? {
        try retryUntil(timeoutMilliseconds, waitingFor: .readable) { try receiveMessage(dontWait: true) }
    }

    /// Runs `attempt` until it does not fail with EAGAIN, polling for `event` in between,
    /// until the deadline; nil if it passed.
    private func retryUntil<T>(_ timeoutMilliseconds: Int, waitingFor event: PollEvents,
                               _ attempt: () throws -> T) throws -> T? {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(max(timeoutMilliseconds, 0))
        while true {
            do {
                return try attempt()
            } catch let error as ZMQError where error.kind == .wouldBlock {
                var wait = -1
                if timeoutMilliseconds >= 0 {
                    let left = deadline - clock.now
                    if left <= .zero { return nil }
                    // Round up so that a sub-millisecond remainder still waits instead of spinning.
                    wait = Int((left / .milliseconds(1)).rounded(.up))
                }
                _ = try Socket.poll([(self, event)], timeoutMilliseconds: wait)
            }
        }
    }
}
