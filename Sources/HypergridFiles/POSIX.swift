#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A failed system call, with the path and what was being done, for people: the one error
/// type of every file the results store, the dataset cache and the worker's pending results
/// write (see ``DurableFile``).
public struct FileSystemError: Error, Equatable, CustomStringConvertible {
    public var path: String
    /// What was being attempted, e.g. `append to`.
    public var operation: String
    /// The `errno` the call failed with (e.g. `ENOSPC`).
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    /// True for the errors that mean "no room": ENOSPC, EDQUOT and EFBIG.
    public var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT || errno == EFBIG }

    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Thin wrappers over POSIX calls that retry on EINTR and throw ``FileSystemError``.
package enum POSIX {
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644, operation: String) throws -> Int32 {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw FileSystemError(path: path, operation: operation, errno: errno) }
        }
    }

    /// Writes every byte: `write` may write fewer than asked (a signal, a nearly full
    /// disk), so loop until done or a real error.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, operation: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            // write(2) returning 0 for a non-empty regular-file write is not supposed to
            // happen; treat it as out of space rather than spin.
            throw FileSystemError(path: path, operation: operation, errno: n == 0 ? ENOSPC : errno)
        }
    }

    package static func fsync(_ fd: Int32, path: String) throws {
        while systemFsync(fd) != 0 {
            if errno != EINTR { throw FileSystemError(path: path, operation: "fsync", errno: errno) }
        }
    }

    /// Makes a new or renamed directory entry durable: fsync the directory itself.
    package static func fsyncDirectory(_ directory: String) throws {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY, operation: "open directory")
        defer { closeDescriptor(fd) }
        try fsync(fd, path: directory)
    }

    package static func truncate(_ fd: Int32, to size: Int64, path: String) throws {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw FileSystemError(path: path, operation: "truncate", errno: errno) }
        }
    }

    package static func size(_ fd: Int32, path: String) throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(path: path, operation: "stat", errno: errno) }
        return Int64(info.st_size)
    }

    /// Reads the file's bytes from offset 0 up to its size when called (with `pread`, so an
    /// O_APPEND descriptor's position does not matter). Stopping at the size also makes a
    /// snapshot of a journal that another process is appending to.
    package static func readAll(_ fd: Int32, path: String) throws -> [UInt8] {
        let size = Int(try self.size(fd, path: path))
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, size - offset, off_t(offset)) }
            if n > 0 { offset += n; continue }
            if n == 0 { break } // shrank under us
            if errno != EINTR { throw FileSystemError(path: path, operation: "read", errno: errno) }
        }
        return Array(bytes[0..<offset])
    }

    /// `mkdir -p`, failing with the errno of the component that could not be made.
    package static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += prefix.isEmpty || prefix.hasSuffix("/") ? String(component) : "/" + component
            if mkdir(prefix, mode) == 0 || errno == EEXIST { continue }
            throw FileSystemError(path: path, operation: "create directory", errno: errno)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError(path: path, operation: "create directory", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileSystemError(path: path, operation: "create directory", errno: ENOTDIR)
        }
    }

    package static func rename(_ from: String, _ to: String) throws {
        guard systemRename(from, to) == 0 else { throw FileSystemError(path: to, operation: "rename \(from) to", errno: errno) }
    }
}

// The module-level names, reachable from inside `enum POSIX` whose members shadow them.
@inline(__always) private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
@inline(__always) private func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
@inline(__always) private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

/// `close(2)`, named so that types with their own `close()` can call it.
package func closeDescriptor(_ fd: Int32) { _ = close(fd) }
