/// A worker the coordinator took out of the run (issue 17 §2): journalled so that
/// `hypergrid leaderboard` and a resumed coordinator's log can say who and why.
public struct WorkerQuarantinedRecord: Codable, Sendable, Equatable {
    /// The worker's name as it introduced itself.
    public var worker: String
    /// One clause, e.g. `its last 3 trials failed (last: out of memory)`.
    public var reason: String

    public init(worker: String, reason: String) {
        self.worker = worker
        self.reason = reason
    }
}
