#if canImport(Glibc)
import Glibc
#endif
import HypergridProtocol
import HypergridSearchSpace
import ZeroMQ

/// A worker that trains nothing: it speaks the real protocol over a real DEALER socket
/// and answers every assignment at once, so that the coordinator's own cost is all that
/// a run measures.
///
/// Like a real worker it says `ready` once, heartbeats every `heartbeatInterval` whatever
/// else happens, resends a result until it is acknowledged, and answers `shutdown` with
/// `goodbye`. It does not reconnect: a silent coordinator is a failed benchmark.
struct NoOpWorker {
    /// What a worker did, printed as its last stdout line for the coordinator process.
    struct Tally: Equatable {
        var assigns = 0
        var results = 0
        var resends = 0
        var acks = 0
        var heartbeats = 0
        var unacknowledged = 0

        var line: String {
            "assigns=\(assigns) results=\(results) resends=\(resends) acks=\(acks) heartbeats=\(heartbeats) unacknowledged=\(unacknowledged)"
        }

        init() {}

        /// Parses ``line``; nil for anything else.
        init?(line: String) {
            var fields: [String: Int] = [:]
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let value = Int(parts[1]) else { return nil }
                fields[String(parts[0])] = value
            }
            guard let assigns = fields["assigns"], let results = fields["results"], let resends = fields["resends"],
                  let acks = fields["acks"], let heartbeats = fields["heartbeats"],
                  let unacknowledged = fields["unacknowledged"] else { return nil }
            self.assigns = assigns
            self.results = results
            self.resends = resends
            self.acks = acks
            self.heartbeats = heartbeats
            self.unacknowledged = unacknowledged
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let endpoint: String
    let name: String
    /// Assignments it asks to hold besides the one it answers (`ready`'s prefetch).
    var prefetch = 0
    /// The worker's defaults (WorkerSessionPolicy): heartbeat every second, resend an
    /// unacknowledged result after two, give up after four of silence.
    var heartbeatInterval = 1.0
    var resendInterval = 2.0
    var expiry = 4.0

    /// Connects, calls `connected` once `ready` is queued, and serves until `shutdown`.
    func run(connected: () -> Void) throws -> Tally {
        let context = try Context(ioThreads: 1, defaultLingerMilliseconds: 1000)
        let socket = try Socket(context, type: .dealer)
        defer { socket.close() }
        try socket.set(.maxMessageSize, WireFormat.defaultMaxFrameSize)
        try socket.connect(endpoint)
        var tally = Tally()
        func send(_ message: Message) throws { try socket.send([try message.encoded()]) }

        try send(.ready(WorkerHello(workerName: name, cpuFeatures: "no-op", threadCount: 1, prefetch: prefetch)))
        connected()
        var unacked: [TrialID: (report: TrialReport, sentAt: Double)] = [:]
        var lastHeard = now()
        var nextHeartbeat = lastHeard + heartbeatInterval
        while true {
            let resendDue = unacked.values.map { $0.sentAt + resendInterval }.min() ?? .infinity
            let wait = max(0, min(nextHeartbeat, resendDue, lastHeard + expiry) - now())
            var message = try socket.receive(timeoutMilliseconds: Int((wait * 1000).rounded(.up)))
            while let frames = message {
                lastHeard = now()
                guard frames.count == 1 else { throw Failure(description: "\(name): a message of \(frames.count) frames") }
                switch try Message(decoding: frames[0]) {
                case .assign(let assignment):
                    tally.assigns += 1
                    let report = TrialReport(answering: assignment, outcome: BenchPlan.outcome(for: assignment))
                    try send(.result(report))
                    tally.results += 1
                    unacked[assignment.trialID] = (report, lastHeard)
                case .ack(let trialID):
                    if unacked.removeValue(forKey: trialID) != nil { tally.acks += 1 }
                case .heartbeat, .noWork:
                    break
                case .shutdown:
                    try send(.goodbye(abandoned: nil))
                    tally.unacknowledged = unacked.count
                    return tally
                case .refuse(let reason):
                    throw Failure(description: "\(name) refused: \(reason)")
                case let other:
                    throw Failure(description: "\(name): unexpected \(other.type.name)")
                }
                message = try socket.receive(timeoutMilliseconds: 0)
            }
            let time = now()
            if time - lastHeard >= expiry {
                throw Failure(description: "\(name): the coordinator was silent for \(Int(expiry)) s")
            }
            if time >= nextHeartbeat {
                try send(.heartbeat)
                tally.heartbeats += 1
                nextHeartbeat += heartbeatInterval
                if nextHeartbeat <= time { nextHeartbeat = time + heartbeatInterval }
            }
            for (id, pending) in unacked where time >= pending.sentAt + resendInterval {
                try send(.result(pending.report))
                tally.resends += 1
                unacked[id]!.sentAt = time
            }
        }
    }
}

/// Seconds on the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
