#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HypergridFiles
import HypergridSearchSpace

/// The training states that halving survivors continue from, in the run directory:
/// `DIR/checkpoints/<trial id>.hgckpt`, one opaque blob per trial that was asked for one.
///
/// Keeping them with the coordinator, rather than on the worker that trained the trial,
/// is what lets any worker continue any trial, and lets them outlive a worker. A trial id
/// is a content address of the training (config, data, numerics), so a blob stored under
/// it is the only one it can ever be. A blob is written to a temporary file, fsync'd and
/// renamed (then the directory fsync'd) before the result that carried it is handed to
/// the scheduler: when the journal has the result, the checkpoint is durable too.
///
/// A lost or damaged checkpoint costs time, not correctness: continuing from a checkpoint
/// is bit-identical to training from scratch, which is what a worker does without one.
///
/// The store's contract (docs/results-store.md): one writer (the coordinator); a blob is
/// durable when ``save(_:for:)`` returns; a reader sees a whole blob or none.
public struct CheckpointStore: Sendable {
    public let directory: String

    /// The store of the run in `runDirectory`.
    public init(runDirectory: String) {
        directory = (runDirectory as NSString).appendingPathComponent("checkpoints")
    }

    public func path(_ trial: TrialID) -> String {
        (directory as NSString).appendingPathComponent("\(trial.hex).hgckpt")
    }

    /// Whether `trial`'s checkpoint is stored.
    public func contains(_ trial: TrialID) -> Bool { FileManager.default.fileExists(atPath: path(trial)) }

    /// Stores `bytes` as `trial`'s checkpoint, durably (see the type's notes).
    public func save(_ bytes: [UInt8], for trial: TrialID) throws {
        let target = path(trial)
        do {
            try POSIX.makeDirectories(directory)
            // Temporary file, fsync, rename, fsync of the directory: the store's one routine.
            try DurableFile.replace(target, with: bytes)
        } catch let error as FileSystemError {
            throw CheckpointStoreError(trial: trial, io: error)
        }
    }

    /// `trial`'s checkpoint, or nil when there is none or it cannot be read.
    public func load(_ trial: TrialID) -> [UInt8]? {
        let file = path(trial)
        guard let fd = try? POSIX.open(file, O_RDONLY, operation: "open") else { return nil }
        defer { closeDescriptor(fd) }
        return try? POSIX.readAll(fd, path: file)
    }
}

/// A checkpoint that could not be stored: which trial, and the file step that failed.
public struct CheckpointStoreError: Error, Equatable, CustomStringConvertible {
    public var trial: TrialID
    public var io: FileSystemError

    public var description: String { "cannot store the checkpoint of trial \(trial.short): \(io)" }
}
