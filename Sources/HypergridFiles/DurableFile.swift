#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// Why a leaf target of its own: the results store (journal, leaderboard, checkpoints), the
// dataset cache (HypergridPreprocessing) and the worker's unacknowledged results all need
// the same "old file or complete new one" write. Keeping it beside the dataset readers
// (HypergridData) would give the coordinator and the report a dataset library they never
// use; keeping it in the results store would make the dataset cache import the journal.
// A leaf that only knows POSIX files serves all three with no odd import.

/// Files replaced whole and durably: a reader sees the old file or the complete new one,
/// never a partial one, and a crash at any point leaves one of the two.
///
/// The steps: create a temporary file beside the target (same directory, so the rename
/// stays on one file system) with a name of its own (process id and a random number, opened
/// `O_EXCL`, so that several processes may replace the same file at once — the last rename
/// wins), write it, `fsync` it, rename it over the target, and `fsync` the directory so the
/// rename itself survives a power loss. When this returns, the new contents are on disk.
/// Any failed step throws ``FileSystemError`` naming the file and the step, and removes the
/// temporary file.
package enum DurableFile {
    /// Replaces `path` with `bytes` (see the type's notes).
    package static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws {
        try replace(path, mode: mode) { fd in
            try bytes.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: path, operation: "write") }
        }
    }

    /// Replaces `path` with what `body` writes to the descriptor it is given (positioned
    /// at 0; `pwrite` is fine too). `body` may throw any error; it is rethrown after the
    /// temporary file is removed.
    package static func replace(_ path: String, mode: mode_t = 0o644, _ body: (_ fd: Int32) throws -> Void) throws {
        let name = (path as NSString).lastPathComponent
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory as NSString)
            .appendingPathComponent(".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = try POSIX.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode, operation: "create")
        do {
            // open(2)'s mode is filtered by the umask; a dataset cache is meant to be shared.
            guard fchmod(fd, mode) == 0 else {
                throw FileSystemError(path: temporary, operation: "set the permissions of", errno: errno)
            }
            try body(fd)
            try POSIX.fsync(fd, path: temporary)
            closeDescriptor(fd)
        } catch {
            closeDescriptor(fd)
            _ = unlink(temporary)
            throw error
        }
        do { try POSIX.rename(temporary, path) } catch { _ = unlink(temporary); throw error }
        try POSIX.fsyncDirectory(directory.isEmpty ? "." : directory)
    }
}
