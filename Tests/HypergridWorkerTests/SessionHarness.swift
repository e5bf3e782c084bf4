import HypergridProtocol
import HypergridSearchSpace
import HypergridWorker
import Testing

/// Drives a ``WorkerSession`` the way the real driver does, on a fake clock: it delivers a
/// tick at every deadline the session asks for, so tests see the exact times of actions
/// without sleeping.
struct SessionHarness {
    var session: WorkerSession
    /// Every action so far with the time it was returned at.
    private(set) var log: [(time: Double, action: WorkerSessionAction)] = []

    init(policy: WorkerSessionPolicy = WorkerSessionPolicy(giveUpAfter: nil), pending: [TrialReport] = []) {
        session = WorkerSession(address: "tcp://coordinator:5555", policy: policy, pendingResults: pending)
    }

    var now: Double { session.now }

    /// Ticks at each deadline up to `time` (exclusive), then delivers `event` at `time`.
    /// Returns the actions of the event alone.
    @discardableResult
    mutating func at(_ time: Double, _ event: WorkerSessionEvent) -> [WorkerSessionAction] {
        advance(to: time, inclusive: false)
        return deliver(event, at: time)
    }

    /// Ticks at every deadline up to and including `time`, then at `time` itself.
    mutating func advance(to time: Double, inclusive: Bool = true) {
        var steps = 0
        while let deadline = session.nextDeadline, inclusive ? deadline <= time : deadline < time {
            steps += 1
            guard steps < 100_000 else {
                Issue.record("the session's deadline does not advance (stuck at \(deadline))")
                return
            }
            deliver(.tick, at: max(deadline, session.now))
            if session.stopReason != nil { return }
        }
        if inclusive { deliver(.tick, at: time) }
    }

    @discardableResult
    private mutating func deliver(_ event: WorkerSessionEvent, at time: Double) -> [WorkerSessionAction] {
        let actions = session.handle(event, at: time)
        log += actions.map { (time, $0) }
        return actions
    }

    /// Times at which an action matching `predicate` was returned.
    func times(of predicate: (WorkerSessionAction) -> Bool) -> [Double] {
        log.filter { predicate($0.action) }.map(\.time)
    }

    /// The messages sent since `time` (inclusive), in order.
    func sent(since time: Double = -.infinity) -> [Message] {
        log.filter { $0.time >= time }.compactMap { if case .send(let m) = $0.action { return m } else { return nil } }
    }
}

extension Array where Element == WorkerSessionAction {
    /// The actions that are not log lines.
    var effects: [WorkerSessionAction] { filter { if case .log = $0 { return false } else { return true } } }
}

// MARK: predicates

func isConnect(_ a: WorkerSessionAction) -> Bool { a == .connect }
func isDisconnect(_ a: WorkerSessionAction) -> Bool { a == .disconnect }
func isHeartbeat(_ a: WorkerSessionAction) -> Bool { a == .send(.heartbeat) }
func isResult(_ a: WorkerSessionAction) -> Bool { if case .send(.result) = a { return true } else { return false } }
func isStop(_ a: WorkerSessionAction) -> Bool { if case .stop = a { return true } else { return false } }

// MARK: fixtures

func trialID(_ n: Int) -> TrialID {
    let digits = String(n, radix: 16)
    return TrialID(hex: String(repeating: "0", count: 64 - digits.count) + digits)!
}

func assignment(_ n: Int, fingerprint: String = "f1") -> Assignment {
    Assignment(trialID: trialID(n), attempt: 1, config: TrialConfig(hidden: [8]),
               dataset: DatasetSpec(kind: .synthetic), datasetFingerprint: fingerprint)
}

func report(_ n: Int, accuracy: Double = 0.5) -> TrialReport {
    TrialReport(trialID: trialID(n), attempt: 1,
                outcome: TrialOutcome(metrics: TrialMetrics(status: .done, validationAccuracy: accuracy,
                                                            iterations: 10, wallSeconds: 1.5),
                                      history: TrialHistory(loss: [2.3, 1.1])))
}
