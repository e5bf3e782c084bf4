import CZlib
import Foundation

/// Reader for IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.
///
/// An IDX file is a big-endian header — magic `0x00000801` for a vector of unsigned bytes
/// (labels) or `0x00000803` for a 3-D array of unsigned bytes (images), then one 32-bit size
/// per dimension — followed by the bytes. Gzip is recognised by its first two bytes
/// (`1f 8b`), not by the file name, and inflated in memory with zlib.
public enum IDX {
    /// Magic number of an unsigned-byte vector (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Magic number of a 3-D unsigned-byte array (images).
    public static let imagesMagic: UInt32 = 0x0000_0803

    /// Images as raw bytes: `count` images of `height × width` pixels, row-major.
    public struct Images: Sendable {
        public var count: Int
        public var height: Int
        public var width: Int
        public var pixels: [UInt8]
    }

    /// Reads an images file (magic `0x803`).
    public static func readImages(_ url: URL) throws -> Images {
        let (bytes, complete) = try contents(url)
        let dims = try header(bytes, url: url, magic: imagesMagic, what: "images")
        let (count, height, width) = (dims[0], dims[1], dims[2])
        let recordBytes = height * width
        let start = 16
        let available = bytes.count - start
        if available < count * recordBytes {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at image \(grouped(available / max(recordBytes, 1))) of \(grouped(count)).")
        }
        try requireComplete(complete, url: url)
        return Images(count: count, height: height, width: width,
                      pixels: Array(bytes[start..<(start + count * recordBytes)]))
    }

    /// Reads a labels file (magic `0x801`) and checks each label is below `classCount`.
    public static func readLabels(_ url: URL, classCount: Int) throws -> [Int32] {
        let (bytes, complete) = try contents(url)
        let count = try header(bytes, url: url, magic: labelsMagic, what: "labels")[0]
        let start = 8
        if bytes.count - start < count {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at label \(grouped(max(bytes.count - start, 0))) of \(grouped(count)).")
        }
        try requireComplete(complete, url: url)
        var labels = [Int32]()
        labels.reserveCapacity(count)
        for i in 0..<count {
            let label = bytes[start + i]
            guard Int(label) < classCount else {
                throw DatasetError(.labelOutOfRange, "IDX file \(url.path) has label \(label) at record \(grouped(i)), outside 0–\(classCount - 1).")
            }
            labels.append(Int32(label))
        }
        return labels
    }

    /// The number of records an IDX file declares in its header, inflating only its first bytes.
    public static func declaredCount(_ url: URL, magic: UInt32) throws -> Int {
        let bytes = try contents(url, limit: 16).bytes
        return try header(bytes, url: url, magic: magic, what: magic == labelsMagic ? "labels" : "images")[0]
    }

    /// Parses and checks the header, returning the dimensions.
    private static func header(_ bytes: [UInt8], url: URL, magic expected: UInt32, what: String) throws -> [Int] {
        func word(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        guard bytes.count >= 4 else {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated in its header (\(bytes.count) bytes).")
        }
        let magic = word(0)
        guard magic == expected else {
            throw DatasetError(.wrongMagic, "IDX file \(url.path) has magic number 0x\(hex(magic)), expected 0x\(hex(expected)) for \(what).")
        }
        let ndim = Int(expected & 0xff)
        guard bytes.count >= 4 + 4 * ndim else {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated in its header (\(bytes.count) bytes).")
        }
        return (0..<ndim).map { Int(word(4 + 4 * $0)) }
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// A gzip stream that ends early has every record yet lacks its end: still truncated.
    private static func requireComplete(_ complete: Bool, url: URL) throws {
        if !complete {
            throw DatasetError(.truncatedFile, "Gzip file \(url.path) is truncated after its last record: the end of its compressed stream is missing.")
        }
    }

    /// The file's bytes, inflated when it is gzip; with `limit`, at most that many bytes
    /// (enough for the header without inflating 47 MB). `complete` is false when a gzip
    /// stream ended early, so the caller can name the record where the data stops.
    static func contents(_ url: URL, limit: Int? = nil) throws -> (bytes: [UInt8], complete: Bool) {
        let raw = try FileReading.readAll(url)
        guard raw.count >= 2, raw[0] == 0x1f, raw[1] == 0x8b else {
            return (limit.map { Array(raw.prefix($0)) } ?? raw, true)
        }
        return try gunzip(raw, url: url, limit: limit)
    }

    /// Inflates a gzip stream (several concatenated members are allowed, as `gzip -d` does).
    /// Stops early once `limit` bytes are out.
    static func gunzip(_ input: [UInt8], url: URL, limit: Int? = nil) throws -> (bytes: [UInt8], complete: Bool) {
        var output = [UInt8](repeating: 0, count: limit ?? max(1 << 20, input.count * 4))
        var produced = 0
        var stream = z_stream()
        // 15 + 16: a gzip wrapper with the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(.corruptFile, "Cannot inflate \(url.path): zlib failed to initialise.")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0
        var status = Z_OK
        var complete = true
        try input.withUnsafeBufferPointer { inBuf in
            while true {
                if produced == output.count {
                    if limit != nil { return }
                    output.append(contentsOf: repeatElement(0, count: output.count))
                }
                let chunkIn = min(input.count - consumed, Int(UInt32.max))
                let chunkOut = min(output.count - produced, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                stream.avail_in = uInt(chunkIn)
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = uInt(chunkOut)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                consumed += chunkIn - Int(stream.avail_in)
                produced += chunkOut - Int(stream.avail_out)
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (ignore trailing zero padding).
                    if consumed < input.count, input[consumed...].contains(where: { $0 != 0 }) {
                        inflateReset(&stream)
                        continue
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where consumed == input.count:
                    // Input exhausted before the end of the stream: a truncated file.
                    complete = false
                    return
                case Z_BUF_ERROR:
                    continue
                default:
                    let why = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DatasetError(.corruptFile, "Gzip file \(url.path) is corrupt (zlib: \(why)).")
                }
            }
        }
        return (Array(output[0..<min(produced, limit ?? produced)]), complete || limit != nil)
    }
}
