import Foundation
import HypergridData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old file or the complete new one, never a
/// partial one — several worker processes may load the cache while another writes it.
/// Package-visible: the worker keeps its unacknowledged results with it too.
package enum AtomicFile {
    /// Creates a temporary file beside `url` (mode 0644), lets `body` fill it, then fsyncs it,
    /// renames it over `url` and fsyncs the directory so the rename survives a crash.
    package static func write(to url: URL, _ body: (_ fd: Int32) throws -> Void) throws {
        let dir = url.deletingLastPathComponent()
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("create", temp) }
        var renamed = false
        defer { if !renamed { unlink(temp.path) } }
        do {
            defer { close(fd) }
            // open(2)'s mode is filtered by the umask; the cache is meant to be shared read-only.
            fchmod(fd, 0o644)
            try body(fd)
            guard fsync(fd) == 0 else { throw ioError("sync", temp) }
        }
        guard rename(temp.path, url.path) == 0 else { throw ioError("rename into place", url) }
        renamed = true
        let dirfd = open(dir.path, O_RDONLY | O_DIRECTORY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// Writes `data` atomically to `url`.
    package static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { fd in
            try data.withUnsafeBytes { try writeAll(fd, $0.baseAddress, $0.count, url: url) }
        }
    }

    /// `write(2)` until every byte is out.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, url: URL) throws {
        var done = 0
        while done < count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, bytes! + done, min(count - done, 1 << 30))
            #else
            let n = Darwin.write(fd, bytes! + done, min(count - done, 1 << 30))
            #endif
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ioError("write", url) }
            done += n
        }
    }

    static func ioError(_ action: String, _ url: URL) -> DatasetError {
        DatasetError(.unreadableFile, "Cannot \(action) \(url.path): \(String(cString: strerror(errno))).")
    }
}
