import Foundation
import HypergridProtocol
import HypergridResults
import HypergridSearchSpace

extension CoordinatorServer {
    /// Decodes one frame from `worker` and feeds the scheduler. Nothing a peer sends
    /// is trusted or can crash the coordinator: undecodable frames are logged with the
    /// peer and dropped, a peer speaking another protocol version is refused in the one
    /// message layout every version can read, results must carry the token of their
    /// assignment, and text that ends up in logs or the journal is made printable.
    func handleFrame(from worker: WorkerID, _ frame: [UInt8]) {
        let message: Message
        do {
            message = try Message(decoding: frame)
        } catch ProtocolError.versionMismatch(let peerVersion, let local, _) {
            let reason = "worker \(name(worker)) speaks protocol \(peerVersion), this coordinator speaks \(local)"
            peerWarning(.otherProtocol, from: worker, "refused \(peer(worker)): \(reason)")
            send(.refuse(reason: reason), to: worker)
            return
        } catch {
            peerWarning(.malformedFrame, from: worker, "dropped a malformed frame from \(peer(worker)): \(error)")
            return
        }
        guard message.type.sender != .coordinator else {
            peerWarning(.wrongSender, from: worker, "dropped \(message.type.name) from \(peer(worker)): only a coordinator sends it")
            return
        }
        let time = now
        switch message {
        case .ready(let hello):
            let workerName = NetworkText.printable(hello.workerName, limit: 80, empty: worker.description)
            let program = NetworkText.printable(hello.programVersion, limit: 80)
            let features = NetworkText.printable(hello.cpuFeatures, limit: 200)
            var capabilities = features.split(separator: " ").map(String.init) + ["threads=\(hello.threadCount)"]
            if hello.prefetch > 0 { capabilities.append("prefetch=\(hello.prefetch)") }
            logger.info("worker \(workerName) ready (\(program), \(features), \(hello.threadCount) threads)")
            perform(scheduler.handle(.ready(worker, WorkerProfile(name: workerName,
                                                                numerics: NetworkText.printable(hello.numericsVersion, limit: 80),
                                                                capabilities: capabilities, prefetch: hello.prefetch)), at: time))
        case .heartbeat:
            perform(scheduler.handle(.heartbeat(worker), at: time))
        case .progress(let p):
            perform(scheduler.handle(.progress(worker, p.trialID, fraction: fraction(of: p)), at: time))
        case .result(let report):
            receiveResult(report, from: worker, at: time)
        case .goodbye(let abandoned):
            logger.info("worker \(name(worker)) left\(abandoned.map { ", handing back trial \($0.short)" } ?? "")")
            perform(scheduler.handle(.goodbye(worker, abandoned: abandoned), at: time))
        case .datasetRequest(let fingerprint, let index):
            perform(scheduler.handle(.heartbeat(worker), at: time))
            serveDatasetChunk(fingerprint: fingerprint, index: Int(index), to: worker)
        case .assign, .ack, .refuse, .shutdown, .noWork, .datasetChunk, .datasetUnavailable, .quarantine, .abandon:
            break  // excluded by the sender check above
        }
    }

    /// A result goes to the scheduler only with the token of its assignment; one whose
    /// numbers no trainer could have produced is recorded as a failure of the trial.
    private func receiveResult(_ report: TrialReport, from worker: WorkerID, at time: Instant) {
        guard tokens.isValid(report.token, for: report.trialID, attempt: report.attempt) else {
            let reason = "it lacks the token of an assignment of attempt \(report.attempt) of that trial (the trial was not assigned to it, or by another run directory)"
            peerWarning(.rejectedResult, from: worker, "rejected a result for trial \(report.trialID.short) from \(peer(worker)): \(reason)")
            perform(scheduler.handle(.rejectedResult(worker, report.trialID), at: time))
            return
        }
        var outcome = report.outcome
        // Later halving rungs and the refit are planned from results: they are in the
        // scheduler, not in the first stage's plan.
        let trial = scheduler.trials[report.trialID]?.planned ?? planByID[report.trialID]
        if let trial,
           let problem = ResultCheck.problem(with: outcome, of: trial.config, trainRows: trial.config.trainingRows(in: offer.shape),
                                             resumable: trial.resumeFrom != nil) {
            peerWarning(.unbelievableResult, from: worker, "result for trial \(report.trialID.short) from \(peer(worker)) recorded as failed: \(problem)")
            outcome = TrialOutcome(metrics: TrialMetrics(status: .failed, reason: "the worker's result was rejected: \(problem)"),
                                   history: TrialHistory(lossEvery: max(trial.config.lossEvery, 1)))
            perform(scheduler.handle(.result(worker, report.trialID, outcome), at: time))
            perform(scheduler.handle(.quarantine(worker, reason: "its result for trial \(report.trialID.short) was rejected: \(problem)"), at: time))
            return
        }
        if let reason = outcome.metrics.reason {
            outcome.metrics.reason = NetworkText.printable(reason, limit: 500)
        }
        var files = ResultFiles(trial: report.trialID)
        if let blob = report.checkpoint, outcome.metrics.status == .done, trial?.saveCheckpoint == true,
           !checkpoints.contains(report.trialID) {
            // Only a believed result of a trial asked for one leaves a checkpoint. The
            // worker continuing from it checks that it fits its configuration and data.
            files.checkpoint = blob
        }
        if let model = report.model, let trial, let rank = ModelStore.rank(of: outcome.metrics, config: trial.config) {
            files.model = (model, rank)
        }
        let actions = scheduler.handle(.result(worker, report.trialID, outcome), at: time)
        // The files go with the result's record (or verification record) when the scheduler
        // records this result, not a duplicate's: written just before it on the committer's thread.
        let recorded = actions.contains { action in
            switch action {
            case .appendToJournal(.trialResult(let r)): return r.trial == report.trialID
            case .appendToJournal(.verification(let v)): return v.trial == report.trialID
            default: return false
            }
        }
        if recorded && !files.isEmpty { uncommittedFiles.append(files) }
        perform(actions)
    }

    /// Logs a warning about what `worker` sent, unless the ``WarningThrottle`` holds it
    /// back (it is then counted, and summed up when the window ends).
    func peerWarning(_ kind: WarningThrottle.Kind, from worker: WorkerID, _ message: @autoclosure () -> String) {
        logThrottledSummaries()
        if warnings.admit(kind, peer: peerAddresses[worker] ?? "peer \(worker)") {
            status.clear()
            logger.warning("\(message())")
        }
    }

    /// Logs the summaries of a throttling window that has ended (all of them when `flush`).
    func logThrottledSummaries(flush: Bool = false) {
        let lines = flush ? warnings.flush(at: now) : warnings.summaries(at: now)
        for line in lines {
            status.clear()
            logger.warning("\(line)")
        }
    }

    /// The worker's name and, for TCP peers, its address: who sent something refused.
    func peer(_ worker: WorkerID) -> String {
        let address = peerAddresses[worker].map { " at \($0)" } ?? ""
        if let name = scheduler.names[worker] { return "worker \(name) (\(worker))\(address)" }
        return "peer \(worker)\(address)"
    }

    /// How far a trial is, from the iteration its worker reports.
    private func fraction(of progress: TrialProgress) -> Double {
        guard let trial = scheduler.trials[progress.trialID]?.planned ?? planByID[progress.trialID] else { return 0 }
        let total = trial.config.trainedIterations(trainRows: trial.config.trainingRows(in: offer.shape))
        return total > 0 ? Double(progress.iteration) / Double(total) : 0
    }

    /// Sends chunk `index` of the offered dataset's cache file. The chunk carries a
    /// CRC-32 and the worker verifies the assembled file against the fingerprint.
    private func serveDatasetChunk(fingerprint: String, index: Int, to worker: WorkerID) {
        guard fingerprint == offer.fingerprint, let path = offer.cacheFile else {
            let reason = fingerprint == offer.fingerprint
                ? "this coordinator has no cache file of the dataset to send"
                : "this coordinator serves dataset \(offer.fingerprint.prefix(12)), not \(fingerprint.prefix(12))"
            send(.datasetUnavailable(fingerprint: fingerprint, reason: reason), to: worker)
            return
        }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let size = Int(try handle.seekToEnd())
            let total = max(1, (size + options.chunkSize - 1) / options.chunkSize)
            guard index >= 0, index < total else {
                send(.datasetUnavailable(fingerprint: fingerprint, reason: "chunk \(index) does not exist; the dataset has \(total) chunks"), to: worker)
                return
            }
            try handle.seek(toOffset: UInt64(index * options.chunkSize))
            let bytes = try handle.read(upToCount: options.chunkSize) ?? Data()
            send(.datasetChunk(DatasetChunk(fingerprint: fingerprint, index: UInt32(index), total: UInt32(total),
                                            bytes: [UInt8](bytes))), to: worker)
            if index == 0 { logger.info("sending dataset \(fingerprint.prefix(12)) to \(name(worker)) in \(total) chunks") }
        } catch {
            send(.datasetUnavailable(fingerprint: fingerprint, reason: "cannot read the dataset cache file: \(error.localizedDescription)"), to: worker)
        }
    }
}
