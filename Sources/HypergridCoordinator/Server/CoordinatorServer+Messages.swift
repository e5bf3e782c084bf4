import Foundation
import HypergridProtocol
import HypergridSearchSpace

extension CoordinatorServer {
    /// Decodes one frame from `worker` and feeds the scheduler. Nothing a peer sends
    /// can crash the coordinator: undecodable frames are logged with the peer and
    /// dropped, and a peer speaking another protocol version is refused in the one
    /// message layout every version can read.
    func handleFrame(from worker: WorkerID, _ frame: [UInt8]) {
        let message: Message
        do {
            message = try Message(decoding: frame)
        } catch ProtocolError.versionMismatch(let peer, let local, _) {
            let reason = "worker \(name(worker)) speaks protocol \(peer), this coordinator speaks \(local)"
            logger.warning("refused: \(reason)")
            send(.refuse(reason: reason), to: worker)
            return
        } catch {
            logger.warning("dropped a malformed frame from \(name(worker)): \(error)")
            return
        }
        guard message.type.sender != .coordinator else {
            logger.warning("dropped \(message.type.name) from \(name(worker)): only a coordinator sends it")
            return
        }
        let time = now
        switch message {
        case .ready(let hello):
            workerNames[worker] = hello.workerName
            let capabilities = hello.cpuFeatures.split(separator: " ").map(String.init) + ["threads=\(hello.threadCount)"]
            logger.info("worker \(hello.workerName) ready (\(hello.programVersion), \(hello.cpuFeatures), \(hello.threadCount) threads)")
            perform(scheduler.handle(.ready(worker, WorkerHello(name: hello.workerName, numerics: hello.numericsVersion,
                                                                capabilities: capabilities)), at: time))
        case .heartbeat:
            perform(scheduler.handle(.heartbeat(worker), at: time))
        case .progress(let p):
            perform(scheduler.handle(.progress(worker, p.trialID, fraction: fraction(of: p)), at: time))
        case .result(let report):
            if let blob = report.checkpoint, scheduler.trials[report.trialID]?.planned.saveCheckpoint == true,
               !checkpoints.contains(report.trialID) {
                // Durable before the scheduler can record the result (CheckpointStore).
                do {
                    try checkpoints.save(blob, for: report.trialID)
                } catch {
                    logger.error("\(error); the trials continuing from it will train from scratch")
                }
            }
            perform(scheduler.handle(.result(worker, report.trialID, report.outcome), at: time))
        case .goodbye(let abandoned):
            logger.info("worker \(name(worker)) left\(abandoned.map { ", handing back trial \($0.short)" } ?? "")")
            perform(scheduler.handle(.goodbye(worker, abandoned: abandoned), at: time))
        case .datasetRequest(let fingerprint, let index):
            perform(scheduler.handle(.heartbeat(worker), at: time))
            serveDatasetChunk(fingerprint: fingerprint, index: Int(index), to: worker)
        case .assign, .ack, .refuse, .shutdown, .noWork, .datasetChunk, .datasetUnavailable:
            break  // excluded by the sender check above
        }
    }

    /// How far a trial is, from the iteration its worker reports.
    private func fraction(of progress: TrialProgress) -> Double {
        guard let trial = scheduler.trials[progress.trialID]?.planned ?? planByID[progress.trialID] else { return 0 }
        let total = trial.config.trainedIterations(trainRows: offer.shape.trainRows)
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
