import Foundation
import HypergridLogging
import HypergridProtocol
import HypergridSearchSpace
import HypergridWorker
import Logging
import Testing
import ZeroMQ

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// A test-controlled ROUTER on a free loopback port standing in for the coordinator.
///
/// While a test waits for a message it heartbeats the latest worker every 100 ms, as a
/// real coordinator would, so that the worker does not presume it dead. Every wait has a
/// deadline, so a broken worker fails the test instead of hanging the suite.
final class FakeCoordinator {
    let context: Context
    private(set) var router: Socket?
    /// `tcp://127.0.0.1:<port>`, fixed across ``restart()``.
    let endpoint: String
    /// The routing id of the latest sender; replies go there.
    private(set) var peer: [UInt8]?
    /// Every message received, in order.
    private(set) var received: [Message] = []
    /// How many `ready` messages each routing id (each worker socket) sent.
    private(set) var readies: [[UInt8]: Int] = [:]
    private var lastHeartbeat = ContinuousClock.now

    init() throws {
        context = try Context(defaultLingerMilliseconds: 0)
        let socket = try Socket(context, type: .router)
        try socket.bind("tcp://127.0.0.1:*")
        endpoint = try socket.lastEndpoint
        router = socket
    }

    /// Disappears: the worker's messages go nowhere until ``restart()``.
    func close() {
        router?.close()
        router = nil
        peer = nil
    }

    /// Comes back on the same port, as a restarted coordinator would.
    func restart() throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let socket = try Socket(context, type: .router)
            do {
                try socket.bind(endpoint)
                router = socket
                return
            } catch let error as ZMQError where error.kind == .addressInUse && ContinuousClock.now < deadline {
                socket.close()
                Thread.sleep(forTimeInterval: 0.05)   // the old listener is still being torn down
            }
        }
    }

    func send(_ message: Message) throws {
        try sendFrame(try message.encoded())
    }

    func sendFrame(_ frame: [UInt8]) throws {
        guard let router, let peer else { throw TimedOut(description: "no worker to send to") }
        try router.send(to: peer, [frame])
    }

    /// Receives until `match` returns non-nil for a message, within `timeout` seconds.
    func expect<T>(_ what: String, timeout: Double = 60, _ match: (Message) -> T?) throws -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if let message = try receiveOne(), let value = match(message) { return value }
        }
        throw TimedOut(description: "waited \(timeout) s in vain for \(what); last received \(received.suffix(12).map(\.type.name))")
    }

    /// Waits for a `ready` (described as `what` if it never comes).
    func expectReady(_ what: String = "ready") throws {
        try expect(what) { if case .ready = $0 { return () } else { return nil } }
    }

    /// Waits for a `result` and returns its report.
    func expectResult(_ what: String = "result") throws -> TrialReport {
        try expect(what) { if case .result(let r) = $0 { return r } else { return nil } }
    }

    /// Acknowledges `trialID`, and every copy of its result that still arrives to the socket
    /// that sent it (as the scheduler does), until `done()` holds.
    func acknowledge(_ trialID: TrialID, until done: () -> Bool, timeout: Double = 30) throws {
        try send(.ack(trialID))
        try expect("the worker to let go of \(trialID.short)", timeout: timeout) { message -> Void? in
            if case .result(let r) = message, r.trialID == trialID { try? send(.ack(trialID)) }
            return done() ? () : nil
        }
    }

    /// Tells the worker to shut down and waits for its goodbye. A worker that changed
    /// sockets meanwhile is told again on its new one, as a real coordinator would answer
    /// its `ready`.
    func shutDown(timeout: Double = 30) throws {
        var told: Set<[UInt8]> = []
        if let peer { told.insert(peer); try send(.shutdown) }
        try expect("goodbye", timeout: timeout) { message -> Void? in
            if case .goodbye = message { return () }
            if let peer, told.insert(peer).inserted { try? send(.shutdown) }
            return nil
        }
    }

    /// Every message received during `seconds`.
    func collect(for seconds: Double) throws -> [Message] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var out: [Message] = []
        while ContinuousClock.now < deadline {
            if let message = try receiveOne() { out.append(message) }
        }
        return out
    }

    /// One message, or nil after ~20 ms; heartbeats the worker when due.
    private func receiveOne() throws -> Message? {
        guard let router else {
            Thread.sleep(forTimeInterval: 0.02)
            return nil
        }
        if peer != nil, ContinuousClock.now - lastHeartbeat >= .milliseconds(100) {
            lastHeartbeat = ContinuousClock.now
            try? send(.heartbeat)
        }
        guard let frames = try router.receive(timeoutMilliseconds: 20) else { return nil }
        #expect(frames.count == 2, "a worker message is one frame after the routing id")
        peer = frames[0]
        let message = try Message(decoding: frames[1])
        received.append(message)
        if case .ready = message { readies[frames[0], default: 0] += 1 }
        return message
    }
}

/// A ``WorkerClient`` running on its own thread.
final class BackgroundWorker: @unchecked Sendable {
    let client: WorkerClient
    let cacheDirectory: URL
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var outcome: Result<WorkerClient.Exit, Error>?

    /// Test timing: heartbeats every 100 ms, dead after 500 ms, backoff 100–400 ms.
    static let policy = WorkerSessionPolicy(heartbeatInterval: 0.1, liveness: 5, initialBackoff: 0.1,
                                            maxBackoff: 0.4, resendInterval: 0.3, chunkTimeout: 5,
                                            chunkAttempts: 3, giveUpAfter: nil, shutdownGrace: 1)

    init(endpoint: String, cacheDirectory: URL, name: String = "test-worker", threads: Int = 1) {
        var logger = Logger(label: "test-worker") { _ in PlainLogHandler(label: "test-worker") }
        logger.logLevel = .warning
        self.cacheDirectory = cacheDirectory
        client = WorkerClient(options: .init(endpoint: endpoint, name: name, threads: threads,
                                             cacheDirectory: cacheDirectory, policy: Self.policy, logger: logger))
        let thread = Thread { [self] in
            let result = Result { try client.run() }
            lock.lock(); outcome = result; lock.unlock()
            done.signal()
        }
        thread.start()
    }

    /// How `run()` ended, waiting up to `timeout` seconds.
    func wait(timeout: Double = 30) throws -> Result<WorkerClient.Exit, Error> {
        guard done.wait(timeout: .now() + timeout) == .success else {
            throw TimedOut(description: "the worker did not stop within \(timeout) s")
        }
        done.signal()   // later waits return at once
        lock.lock(); defer { lock.unlock() }
        return outcome!
    }

    /// Stops the worker whatever state a failed test left it in.
    func finish() {
        client.requestStop()
        _ = try? wait(timeout: 30)
    }
}
