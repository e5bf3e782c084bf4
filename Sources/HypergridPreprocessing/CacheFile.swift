import Foundation
import HypergridData
import HypergridFiles
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The dataset cache's files, written through the one durable-file routine
/// (HypergridFiles' ``DurableFile``: several worker processes may load a cache file while
/// another writes it) with its failures told as a ``DatasetError``.
///
/// A failed write is `.unusableCacheDirectory` — the cache directory cannot be written
/// (full, read-only, no permission) — and a failed read of an existing file is
/// `.unreadableFile`: the codes say which side failed.
enum CacheFile {
    /// Replaces `url` with what `body` writes (mode 0644, readable by every worker).
    static func replace(_ url: URL, _ body: (_ fd: Int32) throws -> Void) throws {
        do {
            try DurableFile.replace(url.path, mode: 0o644, body)
        } catch let error as FileSystemError {
            throw DatasetError(.unusableCacheDirectory,
                               "Cannot \(error.operation) \(error.path): \(String(cString: strerror(error.errno))).")
        }
    }

    /// Replaces `url` with `bytes`.
    static func replace(_ url: URL, with bytes: [UInt8]) throws {
        try replace(url) { fd in
            try bytes.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: url.path, operation: "write") }
        }
    }

    /// Writes `count` bytes at `bytes` to `fd` (inside ``replace(_:_:)``'s body).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, url: URL) throws {
        guard count > 0, let bytes else { return }
        try POSIX.writeAll(fd, UnsafeRawBufferPointer(start: bytes, count: count), path: url.path, operation: "write")
    }

    /// A failed read of an existing cache file, naming it.
    static func readError(_ action: String, _ url: URL) -> DatasetError {
        DatasetError(.unreadableFile, "Cannot \(action) \(url.path): \(String(cString: strerror(errno))).")
    }
}
