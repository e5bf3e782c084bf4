import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A typed socket option: `try socket.set(.linger, 0)`, `try socket.get(.routingID)`.
///
/// Times are milliseconds. libzmq copies most options into a listener or connecter when
/// `bind`/`connect` is called (max message size, routing id, CURVE keys, ZAP domain,
/// heartbeats, immediate, reconnect intervals, high-water marks), so set options first:
/// changing them later does not affect existing binds and connections.
public struct SocketOption<Value>: Sendable {
    /// A readable name, used in error text ("cannot set option linger to …").
    public let name: String
    let code: Int32
    /// The bytes passed to zmq_setsockopt; throws on a value the option cannot hold.
    let encode: @Sendable (Value) throws -> [UInt8]
    /// Reads zmq_getsockopt's bytes (already cut to the returned length).
    let decode: @Sendable ([UInt8]) throws -> Value
    /// The buffer size offered to zmq_getsockopt.
    let capacity: Int
}

extension SocketOption where Value == Int {
    /// A C `int` option, range-checked.
    static func int32(_ name: String, _ code: Int32) -> SocketOption<Int> {
        SocketOption(name: name, code: code, encode: { value in
            guard let v = Int32(exactly: value) else {
                throw ZMQError(errno: EINVAL, operation: "set option \(name) to", target: "\(value)")
            }
            return withUnsafeBytes(of: v) { Array($0) }
        }, decode: { bytes in
            Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
        }, capacity: 4)
    }

    /// Time (ms) unsent messages are kept after close: -1 forever, 0 drop at once.
    public static var linger: Self { int32("linger", ZMQ_LINGER) }
    /// Blocking receive timeout (ms); -1 forever. Expiry throws `.wouldBlock`.
    public static var receiveTimeout: Self { int32("receive timeout", ZMQ_RCVTIMEO) }
    /// Blocking send timeout (ms); -1 forever. Expiry throws `.wouldBlock`.
    public static var sendTimeout: Self { int32("send timeout", ZMQ_SNDTIMEO) }
    /// Outgoing queue limit in messages per peer (0: none).
    public static var sendHighWaterMark: Self { int32("send high-water mark", ZMQ_SNDHWM) }
    /// Incoming queue limit in messages per peer (0: none).
    public static var receiveHighWaterMark: Self { int32("receive high-water mark", ZMQ_RCVHWM) }
    /// First reconnect delay (ms) after a lost or refused connection.
    public static var reconnectInterval: Self { int32("reconnect interval", ZMQ_RECONNECT_IVL) }
    /// Upper bound (ms) of the exponentially growing reconnect delay; 0 keeps it fixed.
    public static var reconnectIntervalMax: Self { int32("reconnect interval max", ZMQ_RECONNECT_IVL_MAX) }
    /// Send a ZMTP PING every this many ms (0: off).
    public static var heartbeatInterval: Self { int32("heartbeat interval", ZMQ_HEARTBEAT_IVL) }
    /// Ask the peer to drop us if it hears nothing for this many ms (rounded to 100 ms).
    public static var heartbeatTTL: Self { int32("heartbeat TTL", ZMQ_HEARTBEAT_TTL) }
    /// Drop the connection if no traffic arrives this many ms after a PING.
    public static var heartbeatTimeout: Self { int32("heartbeat timeout", ZMQ_HEARTBEAT_TIMEOUT) }
    /// Time (ms) allowed for the ZMTP/CURVE handshake (0: unlimited).
    public static var handshakeInterval: Self { int32("handshake interval", ZMQ_HANDSHAKE_IVL) }

    /// Largest inbound message in bytes (-1: no limit). A peer that sends a larger message is
    /// disconnected and the message dropped; the socket stays usable for other peers.
    public static var maxMessageSize: Self {
        SocketOption(name: "max message size", code: ZMQ_MAXMSGSIZE, encode: { value in
            withUnsafeBytes(of: Int64(value)) { Array($0) }
        }, decode: { bytes in
            Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) })
        }, capacity: 8)
    }
}

extension SocketOption where Value == Bool {
    static func flag(_ name: String, _ code: Int32) -> SocketOption<Bool> {
        SocketOption(name: name, code: code, encode: { value in
            withUnsafeBytes(of: Int32(value ? 1 : 0)) { Array($0) }
        }, decode: { bytes in
            bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) } != 0
        }, capacity: 4)
    }

    /// ROUTER: sending to an unknown routing id throws `.hostUnreachable` instead of
    /// silently dropping the message (write-only in libzmq).
    public static var routerMandatory: Self { flag("router mandatory", ZMQ_ROUTER_MANDATORY) }
    /// Queue messages only for completed connections, not for peers still connecting.
    public static var immediate: Self { flag("immediate", ZMQ_IMMEDIATE) }
    /// This socket is the CURVE server (needs ``curveSecretKey``).
    public static var curveServer: Self { flag("CURVE server", ZMQ_CURVE_SERVER) }
}

extension SocketOption where Value == [UInt8] {
    /// The identity a DEALER/REQ presents to a ROUTER: 1–255 bytes, not starting with 0.
    public static var routingID: Self {
        SocketOption(name: "routing id", code: ZMQ_ROUTING_ID, encode: { $0 }, decode: { $0 }, capacity: 255)
    }
}

extension SocketOption where Value == String {
    static func text(_ name: String, _ code: Int32, capacity: Int) -> SocketOption<String> {
        SocketOption(name: name, code: code, encode: { value in
            guard !value.utf8.contains(0) else {
                throw ZMQError(errno: EINVAL, operation: "set option \(name) to", target: "a string containing NUL")
            }
            return Array(value.utf8)
        }, decode: { bytes in
            // libzmq returns C strings including their terminating NUL.
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }, capacity: capacity)
    }

    /// The ZAP domain sent to the authentication handler.
    public static var zapDomain: Self { text("ZAP domain", ZMQ_ZAP_DOMAIN, capacity: 256) }
    /// Read-only: the endpoint of the last bind/connect (see ``Socket/lastEndpoint``).
    public static var lastEndpoint: Self { text("last endpoint", ZMQ_LAST_ENDPOINT, capacity: 1024) }
}

extension SocketOption where Value == CurveKey {
    static func key(_ name: String, _ code: Int32) -> SocketOption<CurveKey> {
        // Keys are passed and read as 32 raw bytes (libzmq also accepts 40-char Z85).
        SocketOption(name: name, code: code, encode: { $0.bytes },
                     decode: { try CurveKey(bytes: $0) }, capacity: 32)
    }

    /// This socket's long-term public key (CURVE client).
    public static var curvePublicKey: Self { key("CURVE public key", ZMQ_CURVE_PUBLICKEY) }
    /// This socket's long-term secret key (CURVE client and server).
    public static var curveSecretKey: Self { key("CURVE secret key", ZMQ_CURVE_SECRETKEY) }
    /// The server's public key (CURVE client); setting it makes the socket a CURVE client.
    public static var curveServerKey: Self { key("CURVE server key", ZMQ_CURVE_SERVERKEY) }
}

extension Socket {
    /// Sets an option (`zmq_setsockopt`).
    public func set<Value>(_ option: SocketOption<Value>, _ value: Value) throws {
        let h = try raw("set option \(option.name)")
        let bytes = try option.encode(value)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(h, option.code, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("set option \(option.name)") }
    }

    /// Reads an option (`zmq_getsockopt`).
    public func get<Value>(_ option: SocketOption<Value>) throws -> Value {
        let h = try raw("get option \(option.name)")
        var buffer = [UInt8](repeating: 0, count: option.capacity)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(h, option.code, $0.baseAddress, &size) }
        if rc != 0 { throw ZMQError.last("get option \(option.name)") }
        return try option.decode(Array(buffer.prefix(size)))
    }
}
