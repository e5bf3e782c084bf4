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

/// The run's durable memory: `DIR/journal.jsonl`, one JSON record per line, appended
/// and fsync'd before ``append(_:time:)`` returns (after Optuna's journal storage).
///
/// Opening a journal replays it, takes an exclusive `flock` so that two coordinators
/// cannot interleave lines, and cuts away a torn last line left by a crash, so that the
/// next append starts on a clean line. One coordinator thread uses it; it is not `Sendable`.
///
/// The store's contract (docs/results-store.md): one writer process, enforced by the lock;
/// a record is fsync'd before `append` returns, and only then may its result be
/// acknowledged; a reader (``read(_:)``, taking no lock) sees complete lines only — a torn
/// last line, an append in progress or a crash's, is left out.
public final class Journal {
    /// The journal's file name inside a run directory.
    public static let fileName = "journal.jsonl"

    /// `DIR/journal.jsonl`.
    public let path: String
    /// What the file held when it was opened (the torn tail, if any, already removed).
    public let replay: JournalReplay
    private var fd: Int32
    private var unusableReason: String?
    /// For the rare value the line encoder leaves to Foundation (see JournalLineEncoder).
    private let encoder = JournalJSON.encoder()
    /// Tests only: runs after each successful fsync with the records it made durable; an
    /// error it throws counts as a failed fsync. It lets a test see what is durable when.
    package var afterSync: (([JournalRecord]) throws -> Void)?

    /// Opens (creating if needed) `directory/journal.jsonl` for appending.
    ///
    /// - Throws: ``JournalError/locked(path:)`` if another coordinator has it open,
    ///   ``JournalError/corruptLine(path:line:detail:)`` for a damaged line before the
    ///   last, ``JournalError/io(_:)`` for a directory or file that cannot be created or written.
    public init(directory: String) throws {
        do { try POSIX.makeDirectories(directory) } catch let error as FileSystemError { throw JournalError.io(error) }
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.path = path
        let existed = FileManager.default.fileExists(atPath: path)
        let fd: Int32
        do {
            fd = try POSIX.open(path, O_RDWR | O_APPEND | O_CREAT, operation: "open for appending")
        } catch let error as FileSystemError { throw JournalError.io(error) }
        do {
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                if errno == EWOULDBLOCK { throw JournalError.locked(path: path) }
                throw JournalError.io(FileSystemError(path: path, operation: "lock", errno: errno))
            }
            var replay = try JournalReplay(bytes: POSIX.readAll(fd, path: path), path: path)
            if let torn = replay.tornTail {
                // The torn line's trial has no durable result, so it will run again.
                try POSIX.truncate(fd, to: Int64(torn.offset), path: path)
                try POSIX.fsync(fd, path: path)
                replay.validLength = torn.offset
            }
            if !existed { try POSIX.fsyncDirectory(directory) }
            self.replay = replay
            self.fd = fd
        } catch let error as FileSystemError {
            closeDescriptor(fd)
            throw JournalError.io(error)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    /// Releases the file and its lock. Appending afterwards throws.
    public func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        unusableReason = unusableReason ?? "the journal was closed"
    }

    /// Appends one record as a line and fsyncs it; when this returns, the record survives
    /// a crash or power loss. See ``append(contentsOf:time:)``.
    public func append(_ record: JournalRecord, time: Double? = Date().timeIntervalSince1970) throws {
        try append(contentsOf: [record], time: time)
    }

    /// Appends records as lines with one `write` and one fsync (group commit); when this
    /// returns, every one of them survives a crash or power loss. An fsync costs about a
    /// millisecond on a real disk while encoding a record costs microseconds, so a driver
    /// that collects the results that arrived together and commits them at once records
    /// many results per fsync instead of one.
    ///
    /// All or nothing: on failure (disk full, I/O error) a partly written batch is cut off
    /// again, so the file stays valid and holds none of them; the caller must stop
    /// dispatching. If even that fails, or fsync fails — after which the kernel may have
    /// dropped the dirty pages, so retrying would lie (PostgreSQL's "fsyncgate") — every
    /// later append throws ``JournalError/unusable(path:cause:)``.
    public func append(contentsOf records: [JournalRecord], time: Double? = Date().timeIntervalSince1970) throws {
        if let reason = unusableReason { throw JournalError.unusable(path: path, cause: reason) }
        guard !records.isEmpty else { return }
        var lines: [UInt8] = []
        for record in records {
            let entry = JournalEntry(time: time, record: record)
            do {
                try JournalLineEncoder.encode(entry, into: &lines)
            } catch is JournalLineEncoder.Unsupported {
                lines += try encoder.encode(entry)
            }
            lines.append(0x0A)
        }
        let before: Int64
        do { before = try POSIX.size(fd, path: path) } catch let error as FileSystemError { throw JournalError.io(error) }
        do {
            try lines.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path, operation: "append to") }
        } catch let writeError as FileSystemError {
            do {
                // Cut off a partial batch so that the next append starts on a clean line.
                if try POSIX.size(fd, path: path) != before { try POSIX.truncate(fd, to: before, path: path) }
            } catch {
                unusableReason = "\(writeError.description); then \(error)"
            }
            throw JournalError.io(writeError)
        }
        do {
            try POSIX.fsync(fd, path: path)
            try afterSync?(records)
        } catch {
            unusableReason = "\(error)"
            if let error = error as? FileSystemError { throw JournalError.io(error) }
            throw error
        }
    }

    /// Reads a journal without locking, truncating or creating anything — safe while a
    /// coordinator is appending to it. `path` is a run directory or the journal file.
    /// A torn last line (possibly an append in progress) is left out.
    public static func read(_ path: String) throws -> JournalReplay {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (path as NSString).appendingPathComponent(fileName) : path
        do {
            let fd = try POSIX.open(file, O_RDONLY, operation: "open")
            defer { closeDescriptor(fd) }
            return try JournalReplay(bytes: POSIX.readAll(fd, path: file), path: file)
        } catch let error as FileSystemError { throw JournalError.io(error) }
    }
}
