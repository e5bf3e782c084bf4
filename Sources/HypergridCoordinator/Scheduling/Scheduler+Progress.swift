import HypergridResults
import HypergridSearchSpace

/// Progress liveness (issue 17 §1). Heartbeats prove that a worker's socket thread is
/// alive, not that its training thread is: a trial can hang while its worker beats on.
/// While it trains, a worker's heartbeats carry its iterations done (as `progress`
/// messages), and a running trial is taken back from its worker when
/// - its progress has not advanced for longer than its stall bound: ``SchedulerPolicy/stallFactor``
///   times its expected duration (its cost estimate at its worker's measured seconds per
///   unit of cost, or the run's when that worker has no result yet), at least
///   ``SchedulerPolicy/stallFloor`` and at most the trial timeout; the stall clock starts
///   with the attempt's first progress report (before it, the data may be loading), and
///   without any measured speed only the trial timeout applies; or
/// - it has run longer than ``SchedulerPolicy/trialTimeout`` since it was assigned.
///
/// Either way the attempt counts as lost (a trial that hangs every trainer ends failed
/// after ``SchedulerPolicy/maxAttempts``), the trial is requeued, the worker is told to
/// abandon it and is forgotten: it rejoins with `ready` once its training thread lets go
/// of the trial, or exits (to be restarted) when the thread is wedged.
extension Scheduler {
    /// Records a result's cost and wall time as its worker's measured speed.
    mutating func noteSpeed(of name: String, cost: Double, _ metrics: TrialMetrics) {
        guard metrics.status != .failed, cost > 0, cost.isFinite, metrics.wallSeconds > 0, metrics.wallSeconds.isFinite else { return }
        var speed = speeds[name] ?? (0, 0)
        speed.cost += cost
        speed.seconds += metrics.wallSeconds
        speeds[name] = speed
    }

    /// Seconds per unit of cost: the worker's own when it has results, else the run's.
    func secondsPerCost(of name: String) -> Double? {
        if let own = speeds[name], own.cost > 0 { return own.seconds / own.cost }
        return measuredCost > 0 ? measuredSeconds / measuredCost : nil
    }

    /// How long `trial`'s progress may stall on worker `name`; nil for no bound.
    func stallBound(cost: Double, worker name: String) -> Double? {
        var bound: Double?
        if let perCost = secondsPerCost(of: name), cost.isFinite, cost > 0 {
            bound = max(policy.stallFloor, SchedulerPolicy.stallFactor * cost * perCost)
        }
        if let timeout = policy.trialTimeout { bound = min(bound ?? timeout, timeout) }
        return bound
    }

    /// Why the running `trialID` must be taken from `worker` now (a line for the log, and
    /// the loss as the trial's record counts it), or nil.
    func progressProblem(_ trialID: TrialID, worker: WorkerID) -> (log: String, loss: String)? {
        let trial = running[trialID]!
        let name = workerName(worker)
        if let timeout = policy.trialTimeout, now - trial.assignedAt >= timeout {
            let limit = formatFixed(timeout, digits: 1)
            return ("worker \(name) ran it for more than the trial timeout of \(limit) s",
                    "it ran longer than the trial timeout of \(limit) s on worker \(name)")
        }
        if let last = trial.lastAdvance, let bound = stallBound(cost: trial.cost, worker: name), now - last >= bound {
            return ("worker \(name)'s training made no progress for \(formatFixed(now - last, digits: 1)) s (its stall bound: \(formatFixed(bound, digits: 1)) s)",
                    "its training stalled on worker \(name)")
        }
        return nil
    }

    /// The earliest instant at which a running trial may need taking back (it runs after
    /// every event, and the driver asks for it before every wait).
    var nextProgressDeadline: Instant? {
        var earliest: Instant?
        func consider(_ deadline: Instant) { if earliest.map({ deadline < $0 }) ?? true { earliest = deadline } }
        for (trialID, trial) in running where isTraining(trialID, on: trial.worker) {
            if let timeout = policy.trialTimeout { consider(trial.assignedAt + timeout) }
            if let last = trial.lastAdvance, let bound = stallBound(cost: trial.cost, worker: workerName(trial.worker)) {
                consider(last + bound)
            }
        }
        return earliest
    }

    /// Whether `trialID` is the one its worker trains, not one waiting behind it there: only
    /// that one's clocks run (``release(_:_:)`` starts the next one's).
    func isTraining(_ trialID: TrialID, on worker: WorkerID) -> Bool {
        workers[worker].map { $0.held.first == trialID } ?? true
    }

    /// Takes back every running trial that stalled or ran past the timeout.
    mutating func takeBackStalledTrials(_ out: inout [SchedulerAction]) {
        guard !running.isEmpty, let deadline = nextProgressDeadline, deadline <= now else { return }
        for trialID in running.keys.sorted() {
            guard let worker = running[trialID]?.worker, isTraining(trialID, on: worker),
                  let problem = progressProblem(trialID, worker: worker) else { continue }
            out.append(.log(.warning, "trial \(trialID.short): \(problem.log); telling it to abandon the trial"))
            out.append(.abandon(worker, trialID))
            lose(worker, reason: problem.loss, &out)
        }
    }
}
