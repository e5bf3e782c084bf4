import Foundation

/// A ZAP handler (ZeroMQ RFC 27) that admits CURVE clients by public key.
///
/// It binds a REP socket at `inproc://zeromq.zap.01` in `context` and answers libzmq's
/// authentication requests on a thread of its own: "200" for a client whose long-term
/// public key is in `allowedClientKeys` (and, if `domain` is set, whose server socket has
/// that ZAP domain), "400" otherwise. libzmq then completes or drops the handshake, so a
/// refused client never gets a message through. Only CURVE servers in the same context
/// consult it; without a handler libzmq admits every client that knows the server key.
///
/// Create it before the CURVE server binds; call ``stop()`` (or drop it) to unbind.
public final class ZAPAuthenticator: @unchecked Sendable {
    /// The well-known endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    public var allowedClientKeys: Set<CurveKey> { policy.allowed }
    public var domain: String? { policy.domain }

    // The thread captures only `policy` (not self), so dropping the authenticator runs
    // deinit, which stops the thread. `stopper` is used only under `stopLock`, by whichever
    // thread stops the handler; the handler thread owns the REP socket and the control listener.
    private let policy: Policy
    private let stopLock = NSLock()
    private var stopper: Socket?
    private let finished = DispatchSemaphore(value: 0)
    private static let serial = NSLock()
    nonisolated(unsafe) private static var nextID = 0

    /// A handshake the handler turned away: who tried, from where.
    public struct Refusal: Sendable, Equatable {
        /// The client's long-term public key in Z85, or nil when it did not use CURVE.
        public var clientKey: String?
        /// The mechanism the client used ("CURVE", "NULL", "PLAIN").
        public var mechanism: String
        /// The peer's IP address as libzmq reports it.
        public var address: String

        public init(clientKey: String?, mechanism: String, address: String) {
            self.clientKey = clientKey
            self.mechanism = mechanism
            self.address = address
        }
    }

    /// Binds the handler and starts its thread; throws `.addressInUse` if the context
    /// already has a ZAP handler. `onRefusal` runs on the handler's thread for every
    /// handshake it refuses (so that the owner can log who was turned away).
    public init(context: Context, allowedClientKeys: Set<CurveKey>, domain: String? = nil,
                onRefusal: (@Sendable (Refusal) -> Void)? = nil) throws {
        policy = Policy(allowed: allowedClientKeys, domain: domain, onRefusal: onRefusal)
        let rep = try Socket(context, type: .rep)
        try rep.set(.linger, 0)
        try rep.bind(Self.endpoint)

        Self.serial.lock()
        Self.nextID += 1
        let control = "inproc://hypergrid.zap-control.\(Self.nextID)"
        Self.serial.unlock()
        let listener = try Socket(context, type: .pair)
        try listener.bind(control)
        let stopper = try Socket(context, type: .pair)
        try stopper.connect(control)

        // Nothing may throw from here on: deinit (which waits for the thread) runs only
        // for a fully initialised object, and then the thread must exist.
        self.stopper = stopper
        let policy = self.policy, finished = self.finished
        // The sockets are handed over before the thread starts: Thread.start is the memory
        // barrier libzmq requires when a socket changes threads.
        let thread = Thread {
            Self.serve(rep: rep, control: listener, policy: policy)
            // An inproc unbind takes effect at once, whereas close frees the endpoint only when
            // libzmq's reaper gets to it; unbinding lets a new handler bind right after stop().
            try? rep.unbind(Self.endpoint)
            rep.close()
            listener.close()
            finished.signal()
        }
        thread.name = "zap-authenticator"
        thread.start()
    }

    deinit { stop() }

    /// How many handshakes were admitted and refused so far.
    public var decisions: (accepted: Int, refused: Int) { policy.decisions }

    /// Stops the thread and unbinds the endpoint; idempotent, returns when the thread is done.
    public func stop() {
        stopLock.lock(); defer { stopLock.unlock() }
        guard let stopper else { return }
        // If the context was shut down the send fails, but then the thread's poll fails
        // with ETERM too and it exits on its own.
        try? stopper.send([UInt8]())
        finished.wait()
        stopper.close()
        self.stopper = nil
    }

    private static func serve(rep: Socket, control: Socket, policy: Policy) {
        while true {
            guard let ready = try? Socket.pollReadable([rep, control], timeoutMilliseconds: -1) else { return }
            if ready.contains(1) { return }
            guard ready.contains(0), let request = try? rep.receive() else { continue }
            if (try? rep.send(policy.answer(request))) == nil { return }
        }
    }

    /// The allowlist and the decision counts, shared with the handler thread.
    final class Policy: @unchecked Sendable {
        let allowed: Set<CurveKey>
        let domain: String?
        let onRefusal: (@Sendable (Refusal) -> Void)?
        private let lock = NSLock()
        private var counts = (accepted: 0, refused: 0)

        init(allowed: Set<CurveKey>, domain: String?, onRefusal: (@Sendable (Refusal) -> Void)?) {
            self.allowed = allowed
            self.domain = domain
            self.onRefusal = onRefusal
        }

        var decisions: (accepted: Int, refused: Int) {
            lock.lock(); defer { lock.unlock() }
            return counts
        }

        /// Builds the reply frames for one request (RFC 27, version 1.0).
        func answer(_ request: [[UInt8]]) -> [[UInt8]] {
            // Request: version, request id, domain, address, routing id, mechanism, credentials…
            let requestID = request.count > 1 ? request[1] : []
            func reply(_ status: String, _ text: String, user: String = "") -> [[UInt8]] {
                [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []]
            }
            guard request.count >= 6, request[0] == Array("1.0".utf8) else {
                return reply("500", "malformed ZAP request")
            }
            var user: String?
            if domain.map({ request[2] == Array($0.utf8) }) ?? true,
               request[5] == Array("CURVE".utf8), request.count >= 7,
               let key = try? CurveKey(bytes: request[6]), allowed.contains(key) {
                user = key.z85
            }
            lock.lock()
            if user != nil { counts.accepted += 1 } else { counts.refused += 1 }
            lock.unlock()
            if let user { return reply("200", "OK", user: user) }
            if let onRefusal {
                let mechanism = String(decoding: request[5], as: UTF8.self)
                let key = request.count >= 7 ? (try? CurveKey(bytes: request[6]))?.z85 : nil
                onRefusal(Refusal(clientKey: mechanism == "CURVE" ? key : nil, mechanism: mechanism,
                                  address: String(decoding: request[3], as: UTF8.self)))
            }
            return reply("400", "client key not allowed")
        }
    }
}
