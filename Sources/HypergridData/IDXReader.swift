import Foundation
import HypergridPrimitives

/// Reader for IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.
///
/// An IDX file is a big-endian header — magic `0x00000801` for a vector of unsigned bytes
/// (labels) or `0x00000803` for a 3-D array of unsigned bytes (images), then one 32-bit size
/// per dimension — followed by the bytes. Files are read through zlib's `gzread`
/// (``GzipFile``), which recognises gzip by its first bytes, not by the file name.
public enum IDX {
    /// Magic number of an unsigned-byte vector (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Magic number of a 3-D unsigned-byte array (images).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// zlib's input buffer for whole-file reads (the default 8 KiB means ~3,000 `read`
    /// calls for Fashion-MNIST's 26 MB of training images).
    static let wholeFileBuffer = 256 << 10

    /// Images as raw bytes: `count` images of `height × width` pixels, row-major.
    public struct Images: Sendable {
        public var count: Int
        public var height: Int
        public var width: Int
        public var pixels: [UInt8]
    }

    /// Reads an images file (magic `0x803`).
    public static func readImages(_ url: URL) throws -> Images {
        let file = try ImageFile(url, bufferSize: wholeFileBuffer)
        let total = file.count * file.rowBytes
        // Sized from the header and filled by zlib directly: no growing buffer, no copy.
        let pixels = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            if total > 0 { try file.readAll(into: buffer.baseAddress!) }
            initialized = total
        }
        return Images(count: file.count, height: file.height, width: file.width, pixels: pixels)
    }

    /// Reads a labels file (magic `0x801`) and checks each label is below `classCount`.
    public static func readLabels(_ url: URL, classCount: Int) throws -> [Int32] {
        let file = try GzipFile(url, bufferSize: wholeFileBuffer)
        let count = try header(file, magic: labelsMagic, what: "labels")[0]
        if count > file.maximumDataBytes { // a damaged header: see ImageFile.init
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at label \(grouped(try file.skipToEnd())) of \(grouped(count)).")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { count > 0 ? try file.read(into: $0.baseAddress!, count: count) : 0 }
        if got < count {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at label \(grouped(got)) of \(grouped(count)).")
        }
        try requireComplete(file)
        var labels = [Int32]()
        labels.reserveCapacity(count)
        for (i, label) in bytes.enumerated() {
            guard Int(label) < classCount else {
                throw DatasetError(.labelOutOfRange, "IDX file \(url.path) has label \(label) at record \(grouped(i)), outside 0–\(classCount - 1).")
            }
            labels.append(Int32(label))
        }
        return labels
    }

    /// The number of records an IDX file declares in its header. Only the header is read
    /// (zlib reads and inflates the first few KiB of a gzip file, not the whole file).
    public static func declaredCount(_ url: URL, magic: UInt32) throws -> Int {
        try header(try GzipFile(url), magic: magic, what: magic == labelsMagic ? "labels" : "images")[0]
    }

    /// An images file whose header has been read and checked; its pixels are read next,
    /// either whole (``readAll(into:)``) or a row at a time as float32 (``readRows(_:)``).
    final class ImageFile {
        let file: GzipFile
        let count: Int
        let height: Int
        let width: Int
        var rowBytes: Int { height * width }
        var url: URL { file.url }

        init(_ url: URL, bufferSize: Int = IDX.wholeFileBuffer) throws {
            file = try GzipFile(url, bufferSize: bufferSize)
            let dims = try IDX.header(file, magic: IDX.imagesMagic, what: "images")
            (count, height, width) = (dims[0], dims[1], dims[2])
            // Buffers are sized from the header, so a header claiming more than the file can
            // hold (a damaged file) is reported here rather than trusted with an allocation.
            let (row, rowOverflow) = height.multipliedReportingOverflow(by: width)
            let (total, totalOverflow) = row.multipliedReportingOverflow(by: count)
            if rowOverflow || totalOverflow || total > file.maximumDataBytes {
                let available = try file.skipToEnd()
                throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at image \(grouped(rowOverflow ? 0 : available / max(row, 1))) of \(grouped(count)).")
            }
        }

        /// Reads all `count × rowBytes` pixel bytes into `buffer`, then checks the file ends cleanly.
        func readAll(into buffer: UnsafeMutableRawPointer) throws {
            try requireImages(from: 0, count, got: try file.read(into: buffer, count: count * rowBytes))
            try IDX.requireComplete(file)
        }

        /// Reads every image, converting each to float32 pixel values at the address
        /// `destination(row)` gives (`nil` skips the row). Rows that are not used are still
        /// read, so a truncated or corrupt file is reported as when it is read whole.
        func readRows(_ destination: (_ row: Int) throws -> UnsafeMutablePointer<Float>?) throws {
            guard rowBytes > 0 else { return try IDX.requireComplete(file) }
            // A small scratch buffer instead of the whole file: the float arrays are the only
            // full-size copy.
            let chunkRows = max(1, (256 << 10) / rowBytes)
            var scratch = [UInt8](repeating: 0, count: chunkRows * rowBytes)
            try scratch.withUnsafeMutableBufferPointer { buf in
                var row = 0
                while row < count {
                    let rows = min(chunkRows, count - row)
                    try requireImages(from: row, rows, got: try file.read(into: buf.baseAddress!, count: rows * rowBytes))
                    for r in 0..<rows {
                        guard let out = try destination(row + r) else { continue }
                        let src = buf.baseAddress! + r * rowBytes
                        for j in 0..<rowBytes { out[j] = Float(src[j]) }
                    }
                    row += rows
                }
            }
            try IDX.requireComplete(file)
        }

        /// Throws `truncatedFile`, naming the first missing image, unless `got` bytes hold the
        /// `rows` images starting at image `first`.
        private func requireImages(from first: Int, _ rows: Int, got: Int) throws {
            guard got < rows * rowBytes else { return }
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated at image \(grouped(first + got / max(rowBytes, 1))) of \(grouped(count)).")
        }
    }

    /// Reads and checks the header, returning the dimensions.
    private static func header(_ file: GzipFile, magic expected: UInt32, what: String) throws -> [Int] {
        let ndim = Int(expected & 0xff)
        var bytes = [UInt8](repeating: 0, count: 4 + 4 * ndim)
        let got = try bytes.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count) }
        let url = file.url
        func word(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        guard got >= 4 else {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated in its header (\(got) bytes).")
        }
        let magic = word(0)
        guard magic == expected else {
            throw DatasetError(.wrongMagic, "IDX file \(url.path) has magic number 0x\(Hex.string(magic)), expected 0x\(Hex.string(expected)) for \(what).")
        }
        guard got == bytes.count else {
            throw DatasetError(.truncatedFile, "IDX file \(url.path) is truncated in its header (\(got) bytes).")
        }
        return (0..<ndim).map { Int(word(4 + 4 * $0)) }
    }

    /// Reads to the end: a gzip stream that ends early has every record yet lacks its end
    /// (the CRC-32 and length trailer), and is still truncated.
    private static func requireComplete(_ file: GzipFile) throws {
        if try !file.finish() {
            throw DatasetError(.truncatedFile, "Gzip file \(file.url.path) is truncated after its last record: the end of its compressed stream is missing.")
        }
    }
}
