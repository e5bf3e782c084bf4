import Foundation
import HypergridProtocol
import HypergridSearchSpace
import Logging

/// The worker's side of the conversation with the coordinator: a pure state machine.
///
/// Like the coordinator's `Scheduler` it does no I/O and reads no clock. The driver
/// (``WorkerClient``) feeds it decoded messages, training-thread reports and ticks, each
/// with the current time in seconds on a monotonic clock, and performs the
/// ``WorkerSessionAction``s it returns, in order. Tests drive it with a fake clock.
///
/// Rules, following the scheduler's expectations of workers:
/// - Paranoid Pirate liveness: `ready` once per connection, a heartbeat every
///   ``WorkerSessionPolicy/heartbeatInterval`` whatever else is going on, and any message
///   from the coordinator proves it alive. After ``WorkerSessionPolicy/expiry`` seconds of
///   silence the socket is dropped and, after a backoff that doubles from
///   ``WorkerSessionPolicy/initialBackoff`` to ``WorkerSessionPolicy/maxBackoff``, a new one
///   connects and says `ready` again. Hearing anything resets the backoff.
/// - A result is resent every ``WorkerSessionPolicy/resendInterval`` and right after each
///   `ready` until it is acknowledged. The scheduler records the first result for a trial
///   from anyone and acknowledges duplicates, so resending is always safe.
/// - The training thread is never interrupted by a reconnection: a new connection is a new
///   worker to the coordinator, which requeues the old one's trial, but a late result is
///   still recorded if it arrives first. An assignment that arrives while a trial runs
///   (after a reconnection) waits in a queue; one for a trial whose result is still
///   unacknowledged is answered with that result.
public struct WorkerSession: Sendable {
    /// The knobs it was made with.
    public let policy: WorkerSessionPolicy
    /// The coordinator's address, for log lines.
    public let address: String
    /// The latest time seen; events with an earlier time do not move it back.
    public private(set) var now: Double = 0
    /// Set once ``WorkerSessionAction/stop(_:)`` has been emitted; later events do nothing.
    public private(set) var stopReason: WorkerStopReason?
    /// The wait before the next reconnection, should the current connection fail.
    public private(set) var backoff: Double

    enum Link: Equatable {
        case notStarted
        /// `heard`: something arrived on this connection (it is known to work).
        case connected(heard: Bool)
        /// Disconnected; connect again at `until`.
        case waiting(until: Double)
    }

    struct PendingResult: Equatable, Sendable {
        var report: TrialReport
        /// `nil`: not sent on any connection yet.
        var lastSent: Double?
    }

    var link = Link.notStarted
    /// The last message on the current connection (or when it was made).
    var lastHeard = 0.0
    /// The last message on any connection (or the start), for ``WorkerSessionPolicy/giveUpAfter``.
    var lastContact = 0.0
    var everHeard = false
    var nextHeartbeat = 0.0
    /// Unacknowledged results, oldest first.
    var pending: [PendingResult]
    /// The trial on the training thread (loading data or training).
    var current: Assignment?
    var queued: [Assignment] = []
    var fetch: DatasetFetch?
    /// Set by `shutdown` while results await their acknowledgement.
    var drainDeadline: Double?
    /// The running trial's iterations done, as the training thread last published them.
    var liveIterations: (trial: TrialID, count: Int)?
    /// The last epoch the running trial finished, and its loss, for progress heartbeats.
    var lastEpoch: (trial: TrialID, epoch: Int, loss: Double)?
    /// A trial the coordinator told this worker to abandon, until the training thread lets
    /// go of it (by `deadline`, or the worker exits as wedged).
    var abandoning: (trial: TrialID, deadline: Double)?
    /// Whether this connection's refused handshake was logged.
    var refusalLogged = false
    /// Added to the log line of a connection that never heard anything, e.g. which keys
    /// to check: with CURVE a wrong key is indistinguishable from a coordinator that is down.
    let silenceHint: String?

    /// - Parameters:
    ///   - pendingResults: results a previous run of the worker left unacknowledged on disk;
    ///     they are sent after the first `ready`.
    public init(address: String, policy: WorkerSessionPolicy = WorkerSessionPolicy(),
                pendingResults: [TrialReport] = [], silenceHint: String? = nil) {
        self.address = address
        self.silenceHint = silenceHint
        self.policy = policy
        self.backoff = policy.initialBackoff
        self.pending = pendingResults.map { PendingResult(report: $0, lastSent: nil) }
    }

    /// Trials whose results await an acknowledgement, oldest first.
    public var unacknowledged: [TrialID] { pending.map(\.report.trialID) }
    /// The trial on the training thread, if any.
    public var currentTrial: TrialID? { current?.trialID }
    /// Assignments waiting for the training thread.
    public var queuedTrials: [TrialID] { queued.map(\.trialID) }
    /// Whether a socket is connected (or connecting) now.
    public var isConnected: Bool { if case .connected = link { return true } else { return false } }

    /// Applies one event that happened at `time` and returns what the driver must do.
    public mutating func handle(_ event: WorkerSessionEvent, at time: Double) -> [WorkerSessionAction] {
        if time > now { now = time }
        guard stopReason == nil else { return [] }
        var out: [WorkerSessionAction] = []
        switch event {
        case .start:
            guard link == .notStarted else { break }
            lastContact = now
            out.append(.log(.info, "connecting to \(address)"))
            connect(&out)
        case .tick: break
        case .received(let message):
            heard(&out)
            receive(message, &out)
        case .undecodable(let error):
            heard(&out)
            if case let .versionMismatch(peer, local, refusal) = error {
                abandonCurrent(&out, goodbye: false)
                stop(.versionMismatch(peer: peer, local: local, refusal: refusal), &out)
            } else {
                out.append(.log(.warning, "ignoring an undecodable message from the coordinator: \(error)"))
            }
        case .trialProgress(let progress):
            lastEpoch = (progress.trialID, progress.epoch, progress.loss)
            if isConnected, current?.trialID == progress.trialID { out.append(.send(.progress(progress))) }
        case .iterationsDone(let trialID, let count):
            liveIterations = (trialID, count)
        case .trialStopped(let trialID):
            if abandoning?.trial == trialID {
                abandoning = nil
                out.append(.log(.info, "the training thread let go of trial \(trialID.short); asking for work again"))
                if !queued.isEmpty {
                    // Assigned after a reconnection while the thread was still busy.
                    start(queued.removeFirst(), &out)
                } else if isConnected {
                    // The coordinator forgot this worker when it took the trial back: `ready`
                    // makes it a new worker on the same connection.
                    out.append(.sendReady)
                }
            }
        case .trialFinished(let report): finished(report, &out)
        case .datasetNeeded(let fingerprint): startFetch(fingerprint, &out)
        case .handshakeRefused(let status):
            // libzmq retries the handshake on its own; one line per connection is enough.
            if !refusalLogged {
                refusalLogged = true
                out.append(.log(.warning, "the coordinator at \(address) refused this worker's key (ZAP status \(status)): its public key must be in the coordinator's --authorized-keys"))
            }
        case .stopRequested:
            let about = current.map { ": abandoning trial \($0.trialID.short)" } ?? ""
            out.append(.log(.info, "stopping\(about)"))
            abandonCurrent(&out, goodbye: true)
            stop(.interrupted, &out)
        }
        if stopReason == nil { checkTimers(&out) }
        return out
    }

    /// The latest time by which the driver must deliver a ``WorkerSessionEvent/tick``;
    /// `nil` before the start and after the stop.
    public var nextDeadline: Double? {
        guard stopReason == nil else { return nil }
        var deadlines: [Double] = drainDeadline.map { [$0] } ?? []
        if let abandoning { deadlines.append(abandoning.deadline) }
        switch link {
        case .notStarted: break
        case .waiting(let until): deadlines.append(until)
        case .connected:
            deadlines += [lastHeard + policy.expiry, nextHeartbeat]
            deadlines += pending.map { $0.lastSent.map { $0 + policy.resendInterval } ?? now }
            if let fetch { deadlines.append(fetch.requestedAt + policy.chunkTimeout) }
        }
        return deadlines.min()
    }

    // MARK: connection

    /// Asks the driver for a new socket and introduces the worker on it.
    mutating func connect(_ out: inout [WorkerSessionAction]) {
        out.append(.connect)
        out.append(.sendReady)
        link = .connected(heard: false)
        refusalLogged = false
        lastHeard = now
        nextHeartbeat = now + policy.heartbeatInterval
        for i in pending.indices { sendResult(i, &out) }
        if var f = fetch {
            // A request sent on the old socket may have died with it.
            f.unanswered = 0
            f.requested(at: now)
            fetch = f
            out.append(.send(.datasetRequest(fingerprint: f.fingerprint, chunkIndex: f.nextIndex)))
        }
    }

    /// Any frame from the coordinator proves the connection works.
    mutating func heard(_ out: inout [WorkerSessionAction]) {
        lastHeard = now
        lastContact = now
        everHeard = true
        backoff = policy.initialBackoff
        if link == .connected(heard: false) {
            link = .connected(heard: true)
            out.append(.log(.info, "connected to \(address)"))
        }
    }

    mutating func checkTimers(_ out: inout [WorkerSessionAction]) {
        if let abandoning, now >= abandoning.deadline {
            out.append(.log(.error, "the training thread has not let go of trial \(abandoning.trial.short) \(seconds(policy.abandonGrace)) after the coordinator took it back: it is wedged; exiting so that this worker can be restarted"))
            // Hand back what was assigned meanwhile (it could never train here).
            if isConnected { out.append(.send(.goodbye(abandoned: queued.first?.trialID))) }
            stop(.trainingWedged(abandoning.trial, seconds: policy.abandonGrace), &out)
            return
        }
        if let deadline = drainDeadline, now >= deadline {
            out.append(.log(.warning, "\(pending.count) result(s) still unacknowledged at shutdown; they stay on disk for the next worker"))
            stop(.shutdown, &out)
            return
        }
        switch link {
        case .notStarted:
            return
        case .waiting(let until):
            guard now >= until else { return }
            if let limit = policy.giveUpAfter, current == nil, now >= lastContact + limit {
                stop(.gaveUp(seconds: now - lastContact, everHeard: everHeard), &out)
                return
            }
            out.append(.log(.info, "reconnecting to \(address)"))
            connect(&out)
        case .connected:
            // Compared as the deadline is computed, so a tick at `nextDeadline` always fires.
            if now >= lastHeard + policy.expiry {
                let neverAnswered = link == .connected(heard: false)
                out.append(.disconnect)
                if drainDeadline != nil {
                    // Shutting down and the coordinator is gone: nobody is left to acknowledge.
                    out.append(.log(.warning, "the coordinator went silent during shutdown; \(pending.count) result(s) stay on disk for the next worker"))
                    stop(.shutdown, &out)
                    return
                }
                link = .waiting(until: now + backoff)
                if neverAnswered, let silenceHint {
                    out.append(.log(.warning, "no answer from the coordinator at \(address) in \(seconds(now - lastHeard)): \(silenceHint); reconnecting in \(seconds(backoff))"))
                } else {
                    out.append(.log(.warning, "no message from the coordinator at \(address) for \(seconds(now - lastHeard)); reconnecting in \(seconds(backoff))"))
                }
                backoff = min(backoff * 2, policy.maxBackoff)
                return
            }
            if now >= nextHeartbeat {
                out.append(.send(heartbeat))
                // Keep the phase, but never send a burst to catch up after a late tick.
                nextHeartbeat += policy.heartbeatInterval
                if nextHeartbeat <= now { nextHeartbeat = now + policy.heartbeatInterval }
            }
            for i in pending.indices where pending[i].lastSent.map({ now >= $0 + policy.resendInterval }) ?? true {
                sendResult(i, &out)
            }
            if var f = fetch, now >= f.requestedAt + policy.chunkTimeout {
                if f.unanswered >= policy.chunkAttempts {
                    fetch = nil
                    let reason = "the coordinator did not send chunk \(f.nextIndex) of dataset \(f.fingerprint.prefix(12)) in answer to \(f.unanswered) requests \(seconds(policy.chunkTimeout)) apart"
                    out.append(.log(.warning, reason))
                    out.append(.datasetFailed(fingerprint: f.fingerprint, reason: reason))
                } else {
                    f.requested(at: now)
                    fetch = f
                    out.append(.send(.datasetRequest(fingerprint: f.fingerprint, chunkIndex: f.nextIndex)))
                }
            }
        }
    }

    mutating func stop(_ reason: WorkerStopReason, _ out: inout [WorkerSessionAction]) {
        stopReason = reason
        out.append(.stop(reason))
    }

    // MARK: messages

    mutating func receive(_ message: Message, _ out: inout [WorkerSessionAction]) {
        switch message {
        case .heartbeat: break
        case .ack(let trialID):
            guard let i = pending.firstIndex(where: { $0.report.trialID == trialID }) else {
                out.append(.log(.debug, "acknowledgement of \(trialID.short), which is not pending, ignored"))
                break
            }
            pending.remove(at: i)
            out.append(.discardResult(trialID))
            out.append(.log(.debug, "result of \(trialID.short) acknowledged"))
            if drainDeadline != nil, pending.isEmpty { stop(.shutdown, &out) }
        case .assign(let assignment): assigned(assignment, &out)
        case .refuse(let reason):
            abandonCurrent(&out, goodbye: false)
            stop(.refused(reason: reason), &out)
        case .abandon(let trialID):
            guard current?.trialID == trialID else {
                out.append(.log(.debug, "told to abandon trial \(trialID.short), which is not running here; ignored"))
                break
            }
            out.append(.log(.warning, "the coordinator took trial \(trialID.short) back (its progress stalled); abandoning it"))
            abandonCurrent(&out, goodbye: false)
            abandoning = (trialID, now + policy.abandonGrace)
        case .quarantine(let reason):
            // The coordinator already requeued whatever this worker was running; results
            // it has not acknowledged stay on disk, for a healthy worker to deliver.
            abandonCurrent(&out, goodbye: false)
            stop(.quarantined(reason: reason), &out)
        case .shutdown:
            out.append(.log(.info, "the coordinator asked this worker to shut down"))
            abandonCurrent(&out, goodbye: true)
            if pending.isEmpty {
                stop(.shutdown, &out)
            } else {
                drainDeadline = now + policy.shutdownGrace
                out.append(.log(.info, "waiting up to \(seconds(policy.shutdownGrace)) for \(pending.count) result(s) to be acknowledged"))
                for i in pending.indices { sendResult(i, &out) }
            }
        case .noWork(let retryAfter):
            // Heartbeats continue anyway, and the scheduler assigns to idle workers unasked.
            out.append(.log(.debug, "no work for now (the coordinator suggests asking again in \(retryAfter) ms)"))
        case .datasetChunk(let chunk): received(chunk, &out)
        case .datasetUnavailable(let fingerprint, let reason):
            guard fetch?.fingerprint == fingerprint else {
                out.append(.log(.debug, "'dataset unavailable' for \(fingerprint.prefix(12)), which is not being fetched, ignored"))
                break
            }
            fetch = nil
            out.append(.log(.warning, "the coordinator cannot send dataset \(fingerprint.prefix(12)): \(reason)"))
            out.append(.datasetFailed(fingerprint: fingerprint, reason: "the coordinator cannot send dataset \(fingerprint.prefix(12)): \(reason)"))
        case .ready, .progress, .result, .goodbye, .datasetRequest:
            out.append(.log(.warning, "ignoring a \(message.type.name) message from the coordinator: only workers send those"))
        }
    }

    mutating func assigned(_ assignment: Assignment, _ out: inout [WorkerSessionAction]) {
        let id = assignment.trialID
        if drainDeadline != nil {
            out.append(.log(.warning, "assignment of \(id.short) during shutdown ignored"))
        } else if let i = pending.firstIndex(where: { $0.report.trialID == id }) {
            // The coordinator restarted without our result; no need to train again.
            out.append(.log(.info, "assigned trial \(id.short), whose result is already here; sending it again"))
            sendResult(i, &out)
        } else if current?.trialID == id || queued.contains(where: { $0.trialID == id }) {
            out.append(.log(.info, "assigned trial \(id.short) again; it is already running or queued here"))
        } else if current == nil, abandoning == nil {
            start(assignment, &out)
        } else {
            queued.append(assignment)
            out.append(.log(.info, "assigned trial \(id.short) (attempt \(assignment.attempt)); queued behind \(current!.trialID.short)"))
        }
    }

    mutating func start(_ assignment: Assignment, _ out: inout [WorkerSessionAction]) {
        current = assignment
        liveIterations = nil
        out.append(.log(.info, "assigned trial \(assignment.trialID.short) (attempt \(assignment.attempt)): \(assignment.config.summary)"))
        out.append(.startTrial(assignment))
    }

    mutating func finished(_ report: TrialReport, _ out: inout [WorkerSessionAction]) {
        if current?.trialID == report.trialID { current = nil }
        let m = report.outcome.metrics
        var line = "finished trial \(report.trialID.short): \(m.status.rawValue)"
        if let accuracy = m.validationAccuracy { line += ", val acc " + String(format: "%.4f", accuracy) }
        line += ", " + seconds(m.wallSeconds)
        if let reason = m.reason { line += " (\(reason))" }
        out.append(.log(m.status == .failed ? .warning : .info, line))
        let i: Int
        if let existing = pending.firstIndex(where: { $0.report.trialID == report.trialID }) {
            i = existing
            pending[i].report = report
        } else {
            pending.append(PendingResult(report: report, lastSent: nil))
            i = pending.count - 1
        }
        if isConnected { sendResult(i, &out) }
        if current == nil, drainDeadline == nil, !queued.isEmpty { start(queued.removeFirst(), &out) }
    }

    /// Stops the training thread's trial, optionally telling the coordinator it is handed back.
    mutating func abandonCurrent(_ out: inout [WorkerSessionAction], goodbye: Bool) {
        let abandoned = current?.trialID
        if abandoned != nil { out.append(.cancelTrial) }
        if goodbye, isConnected { out.append(.send(.goodbye(abandoned: abandoned))) }
        current = nil
        queued = []
        fetch = nil
    }

    /// What to send as a heartbeat: while a trial trains, a `progress` message with its
    /// iterations done, so that the coordinator watches the training thread as well as
    /// the socket thread; otherwise a plain heartbeat.
    var heartbeat: Message {
        guard let current, let live = liveIterations, live.trial == current.trialID else { return .heartbeat }
        let epoch = lastEpoch.flatMap { $0.trial == current.trialID ? $0 : nil }
        return .progress(TrialProgress(trialID: current.trialID, attempt: current.attempt, epoch: epoch?.epoch ?? 0,
                                       iteration: live.count, loss: epoch?.loss ?? .nan))
    }

    mutating func sendResult(_ i: Int, _ out: inout [WorkerSessionAction]) {
        out.append(.send(.result(pending[i].report)))
        pending[i].lastSent = now
    }

    // MARK: datasets

    mutating func startFetch(_ fingerprint: String, _ out: inout [WorkerSessionAction]) {
        guard fetch?.fingerprint != fingerprint else { return }
        var f = DatasetFetch(fingerprint: fingerprint)
        out.append(.log(.info, "fetching dataset \(fingerprint.prefix(12)) from the coordinator"))
        if isConnected {
            f.requested(at: now)
            out.append(.send(.datasetRequest(fingerprint: fingerprint, chunkIndex: 0)))
        }
        fetch = f   // when disconnected, connect() sends the request
    }

    mutating func received(_ chunk: DatasetChunk, _ out: inout [WorkerSessionAction]) {
        guard var f = fetch, f.fingerprint == chunk.fingerprint else {
            out.append(.log(.debug, "chunk of dataset \(chunk.fingerprint.prefix(12)), which is not being fetched, ignored"))
            return
        }
        switch f.accept(chunk) {
        case .requestNext(let index):
            f.requested(at: now)
            fetch = f
            out.append(.send(.datasetRequest(fingerprint: f.fingerprint, chunkIndex: index)))
        case .complete(let bytes):
            fetch = nil
            out.append(.log(.info, "received dataset \(f.fingerprint.prefix(12)): \(bytes.count) bytes in \(chunk.total) chunk(s)"))
            out.append(.provideDataset(fingerprint: f.fingerprint, bytes: bytes))
        case .ignored(let why):
            fetch = f
            out.append(.log(.debug, why))
        case .failed(let why):
            fetch = nil
            out.append(.log(.warning, why))
            out.append(.datasetFailed(fingerprint: f.fingerprint, reason: why))
        }
    }

}

/// `1.5 s`, `32 s`.
func seconds(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)) s" : String(format: "%.1f s", value)
}
