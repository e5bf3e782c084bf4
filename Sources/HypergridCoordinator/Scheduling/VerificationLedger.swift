import HypergridPrimitives
import HypergridResults
import HypergridSearchSpace

/// What verified results (issue 17 §3) know about each trial: which trials are sampled,
/// whose result stands, which are disputed, which workers were found faulty, and so which
/// re-runs are still owed. Pure and fed only with journalled facts (results as they are
/// confirmed, verification records), in journal order, so that a restarted coordinator that
/// replays its journal arrives at exactly the same state and owes exactly the same runs.
///
/// The re-run a trial needs is derived from its state (``job(for:)``), never queued, so
/// there is no queue to lose or to replay.
struct VerificationLedger: Sendable {
    /// The kind of re-run owed, and the worker names that must not run it.
    struct Job: Equatable {
        var purpose: VerificationRecord.Purpose
        var excluded: Set<String>
    }

    enum Standing: Equatable {
        case awaitingVerify, verified, disputed, undecided, corrected, redone
    }

    /// The share of trials sampled (``SchedulerPolicy/verifyFraction``); 0 disables it all.
    let fraction: Double
    let seed: UInt64
    var isEnabled: Bool { fraction > 0 }

    /// Trials picked by the seeded sample.
    private(set) var sampled = Set<TrialID>()
    /// The worker and digest of each verifiable trial's standing result: the first
    /// result, or the run that replaced it.
    private(set) var standingResult: [TrialID: (worker: String, digest: String?)] = [:]
    /// Trials by the worker whose result stands for them.
    private var byWorker: [String: Set<TrialID>] = [:]
    /// Workers with at least one result picked for verification.
    private(set) var coveredWorkers = Set<String>()
    /// The cheapest verifiable result (cost, then trial id) of each worker not covered yet:
    /// picked by ``commitCoverage()`` once every trial is recorded.
    private(set) var coverageCandidates: [String: (cost: Double, trial: TrialID)] = [:]
    private(set) var standing: [TrialID: Standing] = [:]
    /// The verify run that disagreed with a disputed trial's result.
    private(set) var disputes: [TrialID: (worker: String, digest: String?)] = [:]
    /// Workers found faulty, in the order they were.
    private(set) var faulty: [String] = []
    /// Trials that owe a re-run (see ``job(for:)``).
    private(set) var open = Set<TrialID>()
    /// Verification records applied, by verdict: the run's figures.
    private(set) var verdicts: [VerificationRecord.Verdict: Int] = [:]

    init(fraction: Double, seed: UInt64) {
        self.fraction = fraction
        self.seed = seed
    }

    /// Samples `ceil(fraction × n)` of `trials` (one stage of the plan): those with the
    /// smallest SplitMix64 hash of the seed and the id's first 64 bits. A function of the
    /// ids and the seed alone, so neither the order of the plan nor timing changes it.
    mutating func sample(_ trials: [TrialID]) {
        guard isEnabled, !trials.isEmpty else { return }
        let count = min(trials.count, Int((fraction * Double(trials.count)).rounded(.up)))
        func key(_ id: TrialID) -> UInt64 {
            var generator = SplitMix64(seed: seed ^ (UInt64(id.hex.prefix(16), radix: 16) ?? 0))
            return generator.next()
        }
        let ranked = trials.map { (key($0), $0) }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        for (_, id) in ranked.prefix(count) { sampled.insert(id) }
    }

    /// A trial's first result was journalled. Only a result with a digest that did not fail
    /// can be verified (a failure has no weights, and its cause may be the machine's). It is
    /// verified when sampled; otherwise it may become its worker's coverage candidate (see
    /// ``commitCoverage()``).
    mutating func noteResult(_ trial: TrialID, cost: Double, worker: String, digest: String?, status: TrialStatus) {
        guard isEnabled, standingResult[trial] == nil, let digest, status != .failed else { return }
        setStanding(trial, worker: worker, digest: digest)
        if sampled.contains(trial) {
            coveredWorkers.insert(worker)
            coverageCandidates[worker] = nil
            standing[trial] = .awaitingVerify
        } else if !coveredWorkers.contains(worker) {
            let cost = cost.isFinite ? cost : .infinity
            if coverageCandidates[worker].map({ ($0.cost, $0.trial) > (cost, trial) }) ?? true {
                coverageCandidates[worker] = (cost, trial)
            }
        }
        refresh(trial)
    }

    /// Every worker that did trials gets at least one result checked: once every trial is
    /// recorded, each worker none of whose results was sampled has its cheapest one verified.
    /// Its cheapest, not its first: workers take the costliest trials first, and checking
    /// those would cost several times the sample's share. Returns whether it picked any.
    mutating func commitCoverage() -> Bool {
        var picked = false
        for (worker, candidate) in coverageCandidates.sorted(by: { $0.key < $1.key }) where !coveredWorkers.contains(worker) {
            coveredWorkers.insert(worker)
            if standing[candidate.trial] == nil {
                standing[candidate.trial] = .awaitingVerify
                refresh(candidate.trial)
                picked = true
            }
        }
        coverageCandidates.removeAll()
        return picked
    }

    /// The re-run `trial` owes, if any: a redo when its standing result came from a faulty
    /// worker, else an arbitration of a dispute, else the verification of a picked trial.
    func job(for trial: TrialID) -> Job? {
        guard let result = standingResult[trial] else { return nil }
        let faultySet = Set(faulty)
        if faultySet.contains(result.worker) { return Job(purpose: .redo, excluded: faultySet) }
        switch standing[trial] {
        case .awaitingVerify?:
            return Job(purpose: .verify, excluded: faultySet.union([result.worker]))
        case .disputed?:
            return Job(purpose: .arbitrate, excluded: faultySet.union([result.worker, disputes[trial]?.worker ?? ""]))
        default:
            return nil
        }
    }

    /// What a re-run's digest says, before its record is written: the verdict, and for an
    /// arbitration that has a majority, the worker in the minority.
    func verdict(for trial: TrialID, purpose: VerificationRecord.Purpose, digest: String?)
        -> (VerificationRecord.Verdict, faulty: String?) {
        let result = standingResult[trial]
        switch purpose {
        case .redo:
            return (.redone, nil)
        case .verify:
            return (digest != nil && digest == result?.digest ? .match : .mismatch, nil)
        case .arbitrate:
            let dispute = disputes[trial]
            if digest != nil, digest == result?.digest { return (.upheld, dispute?.worker) }
            if digest != nil, digest == dispute?.digest { return (.corrected, result?.worker) }
            return (.undecided, nil)
        }
    }

    /// Applies a journalled verification record; returns the worker it found faulty, if that
    /// worker was not already.
    @discardableResult
    mutating func apply(_ record: VerificationRecord) -> String? {
        guard isEnabled, standingResult[record.trial] != nil else { return nil }
        let trial = record.trial
        verdicts[record.verdict, default: 0] += 1
        if record.purpose == .verify, let checked = standingResult[trial]?.worker {
            // A journal written after ``commitCoverage()`` replays into the same coverage.
            coveredWorkers.insert(checked)
            coverageCandidates[checked] = nil
        }
        switch record.verdict {
        case .match, .upheld: standing[trial] = .verified
        case .mismatch:
            standing[trial] = .disputed
            disputes[trial] = (record.worker, record.digest)
        case .undecided: standing[trial] = .undecided
        case .corrected:
            standing[trial] = .corrected
            setStanding(trial, worker: record.worker, digest: record.digest)
        case .redone:
            standing[trial] = .redone
            setStanding(trial, worker: record.worker, digest: record.digest)
        }
        refresh(trial)
        guard let name = record.faulty, !faulty.contains(name) else { return nil }
        faulty.append(name)
        for affected in byWorker[name] ?? [] { refresh(affected) }
        return name
    }

    private mutating func setStanding(_ trial: TrialID, worker: String, digest: String?) {
        if let previous = standingResult[trial] { byWorker[previous.worker]?.remove(trial) }
        standingResult[trial] = (worker, digest)
        byWorker[worker, default: []].insert(trial)
    }

    private mutating func refresh(_ trial: TrialID) {
        if job(for: trial) != nil { open.insert(trial) } else { open.remove(trial) }
    }

    /// One line for the end of a run, e.g. `verification: 3 re-runs; 2 matched, 1 mismatch,
    /// 1 corrected, 4 redone; worker w3 faulty`; nil when verification is off.
    func summaryLine(notRun: Int) -> String? {
        guard isEnabled else { return nil }
        let runs = verdicts.values.reduce(0, +)
        var parts: [String] = []
        let labels: [(VerificationRecord.Verdict, String)] = [
            (.match, "matched"), (.mismatch, "mismatched"), (.upheld, "upheld by a third worker"),
            (.corrected, "corrected by a third worker"), (.undecided, "undecided (three different digests)"),
            (.redone, "redone"),
        ]
        for (verdict, label) in labels {
            if let n = verdicts[verdict], n > 0 { parts.append("\(n) \(label)") }
        }
        var line = "verification: \(runs) re-run\(runs == 1 ? "" : "s") of \(standingResult.count) verifiable trials"
        if !parts.isEmpty { line += " (" + parts.joined(separator: ", ") + ")" }
        if !faulty.isEmpty { line += "; faulty: " + faulty.joined(separator: ", ") }
        if notRun > 0 { line += "; \(notRun) not run: no eligible worker was connected" }
        return line
    }
}
