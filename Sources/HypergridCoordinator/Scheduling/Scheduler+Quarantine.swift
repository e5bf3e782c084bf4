import HypergridResults
import HypergridSearchSpace

/// Worker quarantine (issue 17 §2): a worker whose trials keep failing, or whose result
/// could not be believed, gets no more work in this run. One broken machine (a full
/// disk, a bad build, a flaky CPU) would otherwise fail every trial it is given, and it
/// asks for the next one fastest, so it would fail most of the grid.
///
/// Only while some other worker's trials succeed: when every worker fails, the trials (a
/// grid no trainer can run), not the workers, are at fault, and quarantining all of them
/// would leave the run with nobody to record those failures.
///
/// Workers are quarantined by name: a reconnection (a new socket, a new routing id) of
/// the same process is turned away too. A worker is told with a `quarantine` message
/// once its last result is durable and acknowledged; it then exits with its own status.
extension Scheduler {
    /// Counts a result recorded from `name`: a failure lengthens its streak, anything
    /// else ends it; a streak of ``SchedulerPolicy/quarantineAfter`` quarantines it.
    mutating func countResult(from name: String, _ metrics: TrialMetrics, _ out: inout [SchedulerAction]) {
        guard metrics.status == .failed else {
            failureStreaks[name] = nil
            succeededWorkers.insert(name)
            return
        }
        let streak = failureStreaks[name, default: 0] + 1
        failureStreaks[name] = streak
        guard policy.quarantineAfter > 0, streak >= policy.quarantineAfter,
              succeededWorkers.contains(where: { $0 != name }) else { return }
        let last = metrics.reason.map { " (last: \($0))" } ?? ""
        quarantine(name: name, reason: "its last \(streak) trials failed\(last)", &out)
    }

    /// Takes `name` out of the run: logged once; its running trial (if any) is requeued
    /// without counting a loss (the worker, not the trial, is at fault); it is told when idle.
    mutating func quarantine(name: String, reason: String, _ out: inout [SchedulerAction]) {
        guard quarantineReason(of: name) == nil else { return }
        quarantinedWorkers.append(QuarantinedWorker(name: name, reason: reason))
        out.append(.log(.error, "worker \(name) quarantined: \(reason); it gets no more work in this run"))
        out.append(.appendToJournal(.workerQuarantined(WorkerQuarantinedRecord(worker: name, reason: reason))))
        for id in workers.keys.sorted() where workers[id]!.name == name && !workers[id]!.held.isEmpty {
            let held = workers[id]!.held
            dropCheckRuns(of: id, held)
            for trialID in takeBack(held, from: id, lossReason: nil, &out) {
                out.append(.log(.info, "trial \(trialID.short) requeued: its worker \(name) is quarantined"))
            }
            makeIdle(id)
        }
    }

    /// Whether `id` belongs to a quarantined worker (which gets no work).
    func isQuarantined(_ id: WorkerID) -> Bool {
        guard !quarantinedWorkers.isEmpty, let name = workers[id]?.name else { return false }
        return quarantineReason(of: name) != nil
    }

    /// Why `name` is quarantined, or nil.
    func quarantineReason(of name: String) -> String? {
        quarantinedWorkers.first { $0.name == name }?.reason
    }

    /// Tells every idle quarantined worker so and forgets it. Run before dispatching.
    /// A worker whose last result is not yet durable (pipelining makes it idle as soon as the
    /// result arrives) is told only after its ack, so that it never drops a result the
    /// journal has not kept; ``dispatch(_:)`` gives it no work meanwhile.
    mutating func turnAwayQuarantined(_ out: inout [SchedulerAction]) {
        guard !quarantinedWorkers.isEmpty else { return }
        let awaitingAck = Set(ackWaiters.values.joined()).union(checkAckWaiters.values.joined())
        for id in idleQueue where !awaitingAck.contains(id) {
            guard let name = workers[id]?.name, let reason = quarantineReason(of: name) else { continue }
            out.append(.quarantine(id, reason: reason))
            forget(id)
        }
    }
}
