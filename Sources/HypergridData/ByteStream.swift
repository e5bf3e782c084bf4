import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of bytes read front to back: a plain file, or a member of a zip archive (stored
/// or deflated). `.npy` arrays are parsed from one, so that an array inside a `.npz` streams
/// the same way as a plain `.npy` file, without its bytes being held twice.
protocol ByteStream: AnyObject {
    /// What to call the stream in messages (`x.npy`, or `data.npz member x.npy`).
    var name: String { get }
    /// Reads up to `count` bytes; fewer only at the end of the stream.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int
    /// Bytes the stream holds in all, when known (for sizing checks before allocating).
    var knownLength: Int? { get }
}

/// An open file descriptor; closed on deinit.
final class FileDescriptor {
    let fd: Int32
    let url: URL
    let size: Int

    init(_ url: URL) throws {
        self.url = url
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): \(String(cString: strerror(errno))).")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let why = String(cString: strerror(errno))
            _ = close(fd)
            throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(why).")
        }
        size = Int(st.st_size)
    }

    deinit { _ = close(fd) }

    /// `pread` until `count` bytes or the end of the file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(String(cString: strerror(errno))).")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// `length` bytes of a file from `offset` (a whole `.npy` file, or a stored zip member).
final class FileRangeStream: ByteStream {
    let file: FileDescriptor
    let name: String
    private var position: Int
    private let end: Int
    /// CRC-32 of the bytes read so far (checked against a zip member's).
    private(set) var crc: UInt32 = 0

    init(_ file: FileDescriptor, name: String, offset: Int = 0, length: Int? = nil) {
        self.file = file
        self.name = name
        position = offset
        end = offset + (length ?? (file.size - offset))
    }

    var knownLength: Int? { end - position }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = try file.read(into: buffer, count: min(count, end - position), at: position)
        crc = CRC32.checksum(buffer, count: n, continuing: crc)
        position += n
        return n
    }
}

/// A raw-deflate zip member, inflated by zlib as it is read.
final class InflateStream: ByteStream {
    private let source: FileRangeStream
    let name: String
    let knownLength: Int?
    private var stream = z_stream()
    /// Compressed bytes, at a fixed address zlib's `next_in` may point into between calls.
    private let input: UnsafeMutablePointer<UInt8>
    private let inputSize = 256 << 10
    private var finished = false
    private(set) var crc: UInt32 = 0

    init(_ source: FileRangeStream, name: String, uncompressedLength: Int) throws {
        self.source = source
        self.name = name
        knownLength = uncompressedLength
        input = .allocate(capacity: inputSize)
        // windowBits -15: a raw deflate stream, as zip stores it (no zlib or gzip wrapper).
        let status = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw DatasetError(.corruptFile, "\(name) cannot be inflated: zlib could not start (\(status)).")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        guard !finished, count > 0 else { return 0 }
        stream.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(count, 1 << 30))
        let wanted = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let n = try source.read(into: input, count: inputSize)
                if n == 0 {
                    throw DatasetError(.truncatedFile, "\(name) is truncated: its compressed data ends before the end of its deflate stream.")
                }
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END { finished = true; break }
            guard status == Z_OK else {
                let why = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw DatasetError(.corruptFile, "\(name) is corrupt: its deflate stream cannot be inflated (zlib: \(why)).")
            }
        }
        let produced = wanted - Int(stream.avail_out)
        crc = CRC32.checksum(buffer, count: produced, continuing: crc)
        return produced
    }
}
