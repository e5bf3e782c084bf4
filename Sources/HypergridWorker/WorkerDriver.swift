import Foundation
import HypergridProtocol
import Logging
import ZeroMQ

/// Runs a ``WorkerSession`` for real: owns the DEALER socket (on the calling thread), the
/// training thread, the clock and the disk, and performs the session's actions.
final class WorkerDriver {
    /// The poll never waits longer than this, so that stop requests (which cannot touch the
    /// socket) are picked up promptly; reports from the training thread ring the inbox's bell.
    static let maximumWaitMilliseconds = 50
    /// Messages handled per wake-up before timers get a turn (dataset chunks can queue up).
    static let receiveBatch = 64

    private let options: Options
    private let isStopRequested: () -> Bool
    private let logger: Logger
    private let context: Context
    private var socket: Socket?
    /// Reports a CURVE handshake the coordinator refused (only with keys).
    private var monitor: Socket?
    private var connections = 0
    private var session: WorkerSession
    private let runner: TrialRunner
    private let reports: Inbox<RunnerReport>
    private let results: PendingResultStore
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private let cpuFeatures = HostInfo.cpuFeatures
    /// The iteration count last handed to the session.
    private var publishedIterations: Int?

    typealias Options = WorkerClient.Options

    init(options: Options, isStopRequested: @escaping () -> Bool) throws {
        self.options = options
        self.isStopRequested = isStopRequested
        logger = options.logger
        results = PendingResultStore(cacheDirectory: options.cacheDirectory)
        let (restored, problems) = results.loadAll()
        for problem in problems { logger.warning("\(problem)") }
        if let curve = options.curve {
            logger.info("CurveZMQ on: this worker's public key is \(curve.publicKey.z85)")
        }
        if !restored.isEmpty {
            logger.info("\(restored.count) unacknowledged result(s) from an earlier run will be sent")
        }
        session = WorkerSession(address: options.endpoint, policy: options.policy, pendingResults: restored,
                                silenceHint: options.curve == nil ? nil
                                    : "check --coordinator-key and that this worker's public key is in the coordinator's --authorized-keys")
        do {
            context = try Context(ioThreads: 1, defaultLingerMilliseconds: 1000)
            reports = try Inbox(context: context)
        } catch {
            throw WorkerError.io("Cannot start ZeroMQ: \(error).")
        }
        runner = TrialRunner(store: DatasetStore(cacheDirectory: options.cacheDirectory, logger: logger),
                             results: results, reports: reports, logger: logger, threads: options.threads,
                             wedgeAfter: options.wedgeTrainingAfter, failEveryTrial: options.failEveryTrial)
        origin = clock.now
    }

    /// Seconds since the driver was made, on the monotonic clock.
    private var now: Double {
        let (s, atto) = (clock.now - origin).components
        return Double(s) + Double(atto) * 1e-18
    }

    /// Runs the session to its end and returns why it stopped.
    func run() throws -> WorkerStopReason {
        runner.start()
        defer {
            // A cancelled trial stops at its next epoch; the process may exit before that.
            runner.stop(timeout: 1)
            socket?.close()
            socket = nil
            monitor?.close()
            monitor = nil
            reports.close()
            context.close()   // waits up to the linger for a final goodbye or result
        }
        try handle(.start)
        while session.stopReason == nil {
            if isStopRequested() {
                try handle(.stopRequested)
                break
            }
            for report in reports.drain() {
                switch report {
                case .progress(let progress): try handle(.trialProgress(progress))
                case .needDataset(let fingerprint): try handle(.datasetNeeded(fingerprint: fingerprint))
                case .finished(let report): try handle(.trialFinished(report))
                case .stopped(let trialID): try handle(.trialStopped(trialID))
                }
            }
            if let (trialID, count) = runner.liveIterations, count != publishedIterations {
                publishedIterations = count
                try handle(.iterationsDone(trialID, count))
            }
            if session.stopReason != nil { break }
            try waitAndReceive()
            try handle(.tick)
        }
        return session.stopReason!
    }

    private func handle(_ event: WorkerSessionEvent) throws {
        for action in session.handle(event, at: now) { try perform(action) }
    }

    /// Waits for the socket until the session's next deadline (at most
    /// ``maximumWaitMilliseconds``) and handles what arrived.
    private func waitAndReceive() throws {
        var wait = Self.maximumWaitMilliseconds
        if let deadline = session.nextDeadline {
            wait = min(wait, max(0, Int(((deadline - now) * 1000).rounded(.up))))
        }
        do {
            guard let socket else {
                // Disconnected: only the training thread's reports can end the wait early.
                _ = try Socket.pollReadable([reports.wakeUp], timeoutMilliseconds: wait)
                return
            }
            // The inbox's bell (index 1) only ends the wait: the loop drains the inbox next.
            let ready = try Socket.pollReadable([socket, reports.wakeUp] + (monitor.map { [$0] } ?? []),
                                                timeoutMilliseconds: wait)
            if ready.contains(2), let monitor {
                while let event = try monitor.readMonitorEvent() {
                    if event.events.contains(.handshakeFailedAuth) { try handle(.handshakeRefused(status: event.value)) }
                }
            }
            guard ready.contains(0) else { return }
            for _ in 0..<Self.receiveBatch {
                // The socket changes when an action reconnects; the session stops on refusal.
                guard self.socket === socket, session.stopReason == nil,
                      let frames = try socket.receive(timeoutMilliseconds: 0) else { return }
                guard frames.count == 1 else {
                    try handle(.undecodable(.invalidValue(field: "message", reason: "it has \(frames.count) frames, not 1")))
                    continue
                }
                do {
                    try handle(.received(try Message(decoding: frames[0])))
                } catch let error as ProtocolError {
                    try handle(.undecodable(error))
                }
            }
        } catch let error as ZMQError where error.kind == .interrupted {
            return
        } catch let error as ZMQError {
            throw WorkerError.io("The connection to \(options.endpoint) failed: \(error).")
        }
    }

    private func perform(_ action: WorkerSessionAction) throws {
        switch action {
        case .connect:
            abandonSocket()
            do {
                let fresh = try Socket(context, type: .dealer)
                // Options are copied at connect time, so they come first. The linger lets a
                // final goodbye or result leave at exit without hanging on a dead peer.
                try fresh.set(.linger, 1000)
                try fresh.set(.maxMessageSize, WireFormat.defaultMaxFrameSize)
                if let curve = options.curve {
                    try fresh.set(.curveServerKey, curve.coordinatorKey)
                    try fresh.set(.curvePublicKey, curve.publicKey)
                    try fresh.set(.curveSecretKey, curve.secretKey)
                    // A refused key is otherwise indistinguishable from a coordinator that is down.
                    connections += 1
                    monitor = try fresh.monitor(.handshakeFailedAuth,
                                                endpoint: "inproc://hypergrid.worker-monitor.\(getpid()).\(connections)")
                }
                try fresh.connect(options.endpoint)
                socket = fresh
            } catch {
                throw WorkerError.io("Cannot connect to \(options.endpoint): \(error).")
            }
        case .disconnect:
            abandonSocket()
        case .sendReady:
            send(.ready(WorkerHello(workerName: options.name, cpuFeatures: cpuFeatures, threadCount: options.threads,
                                    cachedDatasets: DatasetStore.cachedFingerprints(in: options.cacheDirectory),
                                    prefetch: options.prefetch)))
        case .send(let message):
            send(message)
        case .startTrial(let assignment):
            runner.submit(.train(assignment))
        case .cancelTrial:
            runner.cancelCurrent()
        case let .provideDataset(fingerprint, bytes):
            runner.submit(.dataset(fingerprint: fingerprint, bytes: bytes))
        case let .datasetFailed(fingerprint, reason):
            runner.submit(.datasetFailed(fingerprint: fingerprint, reason: reason))
        case .discardResult(let trialID):
            results.remove(trialID)
        case let .log(level, text):
            logger.log(level: level, "\(text)")
        case .stop:
            break
        }
    }

    /// Closes a socket the session gave up on, dropping what it still queues. Its `ready`
    /// would otherwise reach a coordinator that comes back within the linger and look like
    /// a new worker, whose assignment would be lost; results are resent on the new socket.
    private func abandonSocket() {
        try? socket?.set(.linger, 0)
        socket?.close()
        socket = nil
        monitor?.close()
        monitor = nil
    }

    /// Sends without ever blocking: a message that does not fit the queue is dropped,
    /// which is safe because heartbeats recur and results are resent.
    private func send(_ message: Message) {
        guard let socket else { return }
        let frame: [UInt8]
        do {
            frame = try message.encoded()
        } catch {
            logger.error("cannot encode a \(message.type.name) message: \(error)")
            return
        }
        do {
            try socket.send(frame, dontWait: true)
        } catch let error as ZMQError where error.kind == .wouldBlock {
            logger.debug("outgoing queue full; a \(message.type.name) message was dropped")
        } catch {
            logger.warning("cannot send a \(message.type.name) message: \(error)")
        }
    }
}
