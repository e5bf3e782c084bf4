import Foundation
import HypergridFiles
import HypergridProtocol
import HypergridSearchSpace
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unacknowledged trial results on disk, so that neither a coordinator restart nor a worker
/// restart loses one.
///
/// One file per trial, `<directory>/<trial id>.result`, holding the `result` message's wire
/// frame: the socket's own codec, so every float survives bit for bit and the frame header
/// says which protocol version wrote it. A file is written atomically and fsync'd before
/// the result is first sent, and deleted when the coordinator acknowledges it.
///
/// Workers on one machine usually share a cache directory, and so this store. Each loads
/// every file at start, so the results of a worker that died are delivered by the next
/// one; a result sent by two workers is harmless, because the coordinator records the
/// first and acknowledges the others.
public struct PendingResultStore: Sendable {
    /// Where the files live.
    public let directory: URL

    /// A store in `directory` (created on the first save).
    public init(directory: URL) { self.directory = directory }

    /// The store a worker keeps inside its dataset cache directory.
    public init(cacheDirectory: URL) {
        self.init(directory: cacheDirectory.appendingPathComponent("pending-results", isDirectory: true))
    }

    /// The file of one trial's result.
    public func fileURL(_ trialID: TrialID) -> URL {
        directory.appendingPathComponent("\(trialID.hex).result")
    }

    /// Writes `report` durably (temporary file, fsync, rename, fsync of the directory).
    /// `frame`, when the caller has it already, is `report` encoded as a result message.
    public func save(_ report: TrialReport, frame encoded: [UInt8]? = nil) throws {
        let frame = try encoded ?? Message.result(report).encoded()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try DurableFile.replace(fileURL(report.trialID).path, with: frame)
        } catch let error as FileSystemError {
            throw WorkerError.io(error.description)
        }
    }

    /// Deletes a trial's file; a missing file (another worker delivered it) is fine.
    public func remove(_ trialID: TrialID) {
        unlink(fileURL(trialID).path)
    }

    /// Every stored result, in trial-id order, and one sentence per file that could not be
    /// used. A corrupt file is renamed to `….corrupt` so that it is reported once; a file of
    /// another protocol version is left for a worker of that version.
    public func loadAll() -> (reports: [TrialReport], problems: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return ([], [])   // no directory yet: nothing pending
        }
        var reports: [TrialReport] = []
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".result") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append("Pending result \(url.path) cannot be read.")
                continue
            }
            do {
                guard case .result(let report) = try Message(decoding: [UInt8](data)),
                      "\(report.trialID.hex).result" == name else {
                    throw ProtocolError.invalidValue(field: "file", reason: "it does not hold the result its name promises")
                }
                reports.append(report)
            } catch let error as ProtocolError {
                if case .versionMismatch = error {
                    problems.append("Pending result \(url.path) was written by another protocol version and is left alone: \(error)")
                } else {
                    rename(url.path, url.path + ".corrupt")
                    problems.append("Pending result \(url.path) is corrupt and was renamed to \(name).corrupt: \(error)")
                }
            } catch {
                problems.append("Pending result \(url.path) cannot be used: \(error)")
            }
        }
        return (reports, problems)
    }

    static func ioError(_ action: String, _ url: URL) -> WorkerError {
        .io("Cannot \(action) \(url.path): \(String(cString: strerror(errno))).")
    }
}
