import HypergridResults
import HypergridSearchSpace
import Logging

/// The files a result brings that must be durable before its journal record: a halving
/// trial's checkpoint and a model worth keeping.
struct ResultFiles {
    let trial: TrialID
    var checkpoint: [UInt8]?
    var model: (bytes: [UInt8], rank: ModelStore.Ranked)?

    var isEmpty: Bool { checkpoint == nil && model == nil }
}

/// Writes results' files on the journal committer's thread, just before the batch that
/// holds their records is appended, so that they are durable before the journal has the
/// result (and so before the worker's ack), as when the socket loop wrote them itself.
///
/// Why not on the socket loop: a wide net's checkpoint and model are 100–200 MB, each
/// written to a temporary file, fsync'd and renamed. On a slow disk that takes seconds,
/// and a loop that waits sends no heartbeats meanwhile: after four seconds of silence
/// every worker presumes the coordinator dead, reconnects and loses the trial it was
/// training. Here only the records of the batch being written wait.
///
/// Threads: ``write(_:)`` runs on the committer's thread while a batch is in flight, or
/// on the loop's thread when none is (``CoordinatorServer/commitJournal()``); never on
/// both at once, so the model store, which keeps its ranking in memory, needs no lock.
final class ResultFileWriter: @unchecked Sendable {
    let checkpoints: CheckpointStore
    let models: ModelStore
    let logger: Logger
    /// For tests: runs before each batch's files are written, e.g. to hold them back as a
    /// slow disk would.
    var beforeWriting: (@Sendable () -> Void)?

    init(checkpoints: CheckpointStore, models: ModelStore, logger: Logger) {
        self.checkpoints = checkpoints
        self.models = models
        self.logger = logger
    }

    /// Writes each result's files, durably; a file that cannot be written is logged and
    /// its result recorded without it (a missing checkpoint costs time, not correctness).
    func write(_ batch: [ResultFiles]) {
        guard !batch.isEmpty else { return }
        beforeWriting?()
        for files in batch {
            if let blob = files.checkpoint {
                do {
                    try checkpoints.save(blob, for: files.trial)
                } catch {
                    logger.error("\(error); the trials continuing from it will train from scratch")
                }
            }
            if let model = files.model {
                do {
                    let displaced = try models.offer(model.bytes, for: files.trial, rank: model.rank)
                    if !displaced.isEmpty {
                        logger.debug("kept the model of \(files.trial.short); dropped \(displaced.map(\.short).joined(separator: ", "))")
                    }
                } catch {
                    logger.error("\(error); the result is recorded without it")
                }
            }
        }
    }
}
