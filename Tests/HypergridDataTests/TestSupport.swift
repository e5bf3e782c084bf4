import CZlib
import Foundation
@testable import HypergridData

/// A fresh temporary directory, removed when the value is deinitialised.
final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hypergrid-data-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Deterministic bytes for test images.
struct ByteStream {
    var state: UInt64
    mutating func next() -> UInt8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// One CIFAR-10 record: a label and 3,072 bytes in the file's plane order (R, G, B planes).
struct CIFARRecord {
    var label: UInt8
    var planes: [UInt8]

    static func random(_ rng: inout ByteStream, label: UInt8) -> CIFARRecord {
        CIFARRecord(label: label, planes: (0..<3072).map { _ in rng.next() })
    }

    /// The row the reader should produce: height × width × channel order.
    var expectedRow: [Float] {
        (0..<3072).map { i in Float(planes[(i % 3) * 1024 + i / 3]) }
    }
}

/// Writes a CIFAR-10 directory with `perFile` records in each of the five training files and
/// `testCount` in the test file (omitted when `nil`). Returns the records, training first.
@discardableResult
func writeCIFAR(in dir: URL, perFile: Int, testCount: Int?, seed: UInt64 = 1) throws -> (train: [CIFARRecord], test: [CIFARRecord]) {
    var rng = ByteStream(state: seed)
    var train: [CIFARRecord] = [], test: [CIFARRecord] = []
    func write(_ records: [CIFARRecord], _ name: String) throws {
        var bytes: [UInt8] = []
        for r in records { bytes.append(r.label); bytes += r.planes }
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }
    for f in 1...5 {
        let records = (0..<perFile).map { i in CIFARRecord.random(&rng, label: UInt8((f + i) % 10)) }
        train += records
        try write(records, "data_batch_\(f).bin")
    }
    if let testCount {
        test = (0..<testCount).map { i in CIFARRecord.random(&rng, label: UInt8(i % 10)) }
        try write(test, "test_batch.bin")
    }
    return (train, test)
}

/// The bytes of an IDX file: big-endian magic and dimensions, then `payload`.
func idxBytes(magic: UInt32, dims: [Int], payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for v in [magic] + dims.map({ UInt32($0) }) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }
    return out + payload
}

/// Gzip-compresses `bytes` with zlib (a gzip wrapper: windowBits 15 + 16).
func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    let status = input.withUnsafeMutableBufferPointer { inBuf in
        output.withUnsafeMutableBufferPointer { outBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            stream.next_out = outBuf.baseAddress
            stream.avail_out = uInt(outBuf.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    precondition(status == Z_STREAM_END)
    return Array(output[0..<Int(stream.total_out)])
}

/// Writes an (Fashion-)MNIST directory: `trainCount` and `testCount` images of `side × side`
/// pixels with labels `i % 10`, gzip-compressed or plain. Returns the pixel bytes.
@discardableResult
func writeIDX(in dir: URL, trainCount: Int, testCount: Int, side: Int = 4, gzipped: Bool,
              seed: UInt64 = 7) throws -> (train: [UInt8], test: [UInt8]) {
    var rng = ByteStream(state: seed)
    func write(_ bytes: [UInt8], _ stem: String) throws {
        let name = gzipped ? stem + ".gz" : stem
        try Data(gzipped ? gzip(bytes) : bytes).write(to: dir.appendingPathComponent(name))
    }
    let train = (0..<(trainCount * side * side)).map { _ in rng.next() }
    let test = (0..<(testCount * side * side)).map { _ in rng.next() }
    try write(idxBytes(magic: 0x803, dims: [trainCount, side, side], payload: train), "train-images-idx3-ubyte")
    try write(idxBytes(magic: 0x801, dims: [trainCount], payload: (0..<trainCount).map { UInt8($0 % 10) }), "train-labels-idx1-ubyte")
    try write(idxBytes(magic: 0x803, dims: [testCount, side, side], payload: test), "t10k-images-idx3-ubyte")
    try write(idxBytes(magic: 0x801, dims: [testCount], payload: (0..<testCount).map { UInt8($0 % 10) }), "t10k-labels-idx1-ubyte")
    return (train, test)
}

/// The features of a matrix as an array (row-major).
func values(_ m: LabeledMatrix) -> [Float] { Array(UnsafeBufferPointer(start: m.features.base, count: m.rows * m.columns)) }

/// Runs `body` and returns the `DatasetError` it throws (nil if it throws nothing).
func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do { try body(); return nil } catch let e as DatasetError { return e } catch { return nil }
}
