import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read front to back through zlib's `gzread`, plain or gzip-compressed.
///
/// zlib tells the two apart by the first bytes, inflates any number of concatenated gzip
/// members (as `gzip -d` does, ignoring trailing garbage), checks each member's CRC-32 and
/// length, and reports a stream that ends early; large reads inflate straight into the
/// caller's buffer. Every failure becomes a one-sentence ``DatasetError`` naming the file.
final class GzipFile {
    let url: URL
    private let file: gzFile
    /// The size of the file on disk (compressed, for a gzip file).
    let storedSize: Int
    /// Set once the input ended in the middle of a gzip stream (zlib's `Z_BUF_ERROR`).
    private(set) var endedEarly = false

    /// Opens `url` for reading. `bufferSize` is zlib's input buffer (its output buffer is
    /// twice that): the 8 KiB default suits header-only reads, which then read and inflate
    /// only the first few KiB; whole-file reads pass more to save system calls.
    init(_ url: URL, bufferSize: Int = 8 << 10) throws {
        self.url = url
        // open(2) rather than gzopen, for O_CLOEXEC and an errno-based message.
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): \(String(cString: strerror(errno))).")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(why).")
        }
        storedSize = Int(st.st_size)
        guard let file = gzdopen(fd, "rb") else {
            close(fd)
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): zlib could not allocate its state.")
        }
        self.file = file
        gzbuffer(file, UInt32(clamping: bufferSize))
    }

    deinit { gzclose_r(file) }

    /// Reads up to `count` bytes into `buffer`; fewer only when the data ends first (then see
    /// ``endedEarly``). Throws `corruptFile` for a damaged gzip stream, `unreadableFile` for
    /// an I/O error.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            // gzread takes an unsigned length and returns an int: stay well inside both.
            let n = gzread(file, buffer + done, UInt32(min(count - done, 1 << 30)))
            try checkStatus()
            guard n > 0 else { break }
            done += Int(n)
        }
        return done
    }

    /// The most bytes the file can hold once inflated: deflate expands at most 1,032:1, so a
    /// header claiming more describes a truncated file, and must not size an allocation.
    var maximumDataBytes: Int { storedSize.multipliedReportingOverflow(by: 1_032).overflow ? .max : storedSize * 1_032 }

    /// Reads and discards the rest of the data, returning how many bytes there were.
    func skipToEnd() throws -> Int {
        var scratch = [UInt8](repeating: 0, count: 64 << 10)
        var total = 0
        while true {
            let n = try scratch.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: $0.count) }
            if n == 0 { return total }
            total += n
        }
    }

    /// Reads and discards the rest of the data, so that zlib reaches the end of the last gzip
    /// member and checks its trailer; throws as ``read(into:count:)``. Returns whether the
    /// compressed stream was complete (a plain file always is).
    func finish() throws -> Bool {
        _ = try skipToEnd()
        return !endedEarly
    }

    private func checkStatus() throws {
        var code: Int32 = Z_OK
        let message = gzerror(file, &code)
        switch code {
        case Z_OK:
            return
        case Z_BUF_ERROR:
            // Not an error for gzread: the input ended mid-stream and it returned what it had.
            endedEarly = true
        default:
            // zlib prefixes its messages with the path it was given ("<fd:3>: ").
            var why = message.map { String(cString: $0) } ?? "error \(code)"
            if let colon = why.range(of: ": ") { why = String(why[colon.upperBound...]) }
            if code == Z_ERRNO {
                throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(why).")
            }
            throw DatasetError(.corruptFile, "Gzip file \(url.path) is corrupt (zlib: \(why)).")
        }
    }
}
