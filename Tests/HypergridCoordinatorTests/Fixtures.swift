import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
@testable import HypergridCoordinator

func hello(_ name: String, numerics: String = HypergridVersion.numerics, prefetch: Int = 0) -> WorkerProfile {
    WorkerProfile(name: name, numerics: numerics, prefetch: prefetch)
}

func at(_ seconds: Double) -> Instant { Instant(seconds: seconds) }

extension Array where Element == SchedulerAction {
    var assigns: [(WorkerID, TrialID, Int)] {
        compactMap { if case .assign(let w, let t, let a) = $0 { return (w, t.id, a) } else { return nil } }
    }
    var appends: [JournalRecord] {
        compactMap { if case .appendToJournal(let r) = $0 { return r } else { return nil } }
    }
    var acks: [(WorkerID, TrialID)] {
        compactMap { if case .ack(let w, let t) = $0 { return (w, t) } else { return nil } }
    }
    var heartbeats: [WorkerID] {
        compactMap { if case .sendHeartbeat(let w) = $0 { return w } else { return nil } }
    }
    var shutdowns: [WorkerID] {
        compactMap { if case .shutdown(let w) = $0 { return w } else { return nil } }
    }
    var summary: RunSummary? {
        for case .finished(let s) in self { return s }
        return nil
    }
    /// Log lines, for failure messages.
    var logs: [String] {
        compactMap { if case .log(_, let m) = $0 { return m } else { return nil } }
    }
}

/// A scheduler and a driver that confirms journal appends at once, as the real one does.
struct Harness {
    var scheduler: Scheduler
    var journal: [JournalRecord] = []
    var confirm = true

    init(_ plan: [PlannedTrial], finished: Set<TrialID> = [], policy: SchedulerPolicy = SchedulerPolicy(),
         journal: [JournalRecord] = []) {
        scheduler = Scheduler(plan: plan, finished: finished, policy: policy, journal: journal)
        self.journal = journal
    }

    /// Handles the event, then confirms every append it asked for (and what those confirmations cause).
    mutating func send(_ event: SchedulerEvent, at time: Double) -> [SchedulerAction] {
        var all: [SchedulerAction] = []
        var queue = [event]
        while !queue.isEmpty {
            let actions = scheduler.handle(queue.removeFirst(), at: at(time))
            all += actions
            for record in actions.appends {
                journal.append(record)
                if confirm, let id = record.trialID { queue.append(.journalAppended(id)) }
                if confirm, case .verification(let v) = record { queue.append(.verificationAppended(v.trial)) }
            }
        }
        return all
    }
}
