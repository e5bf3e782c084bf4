import Foundation
import Testing
@testable import HypergridData

/// The in-place float32 path of `.npy` features: the same values as the general reader, and
/// NaN, infinities and truncation found in any chunk, not only the first.
@Suite struct NPYFloat32Tests {
    /// A `.npy` file of `rows × width` little-endian float32 values.
    func npyFile(_ values: [Float], rows: Int, width: Int, dropLast: Int = 0) throws -> URL {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(width)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("npy-f32-\(UUID().uuidString).npy")
        try Data(bytes.dropLast(dropLast)).write(to: url)
        return url
    }

    func read(_ url: URL) throws -> [Float] {
        let (storage, rows, width, _) = try ArrayDataset.readFeatures(FileRangeStream(try FileDescriptor(url), name: url.path))
        return Array(UnsafeBufferPointer(start: storage.base, count: rows * width))
    }

    // Three chunks and a bit (a chunk is 2¹⁸ values), so that every chunk boundary is crossed.
    let rows = 3 * 1024 + 7, width = 257

    func values() -> [Float] {
        var rng = SystemRandomNumberGenerator()
        return (0..<(rows * width)).map { i in
            i % 97 == 0 ? Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &rng)) * (i % 2 == 0 ? 1 : -1)
                        : Float.random(in: -1e6...1e6, using: &rng)
        }
    }

    @Test func valuesArriveBitForBit() throws {
        let v = values()
        let url = try npyFile(v, rows: rows, width: width)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try read(url).map(\.bitPattern) == v.map(\.bitPattern))
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func aNonFiniteValueInALaterChunkIsNamedByElement(_ bad: Float) throws {
        var v = values()
        let at = 2 * (1 << 18) + 12_345   // in the third chunk
        v[at] = bad
        let url = try npyFile(v, rows: rows, width: width)
        defer { try? FileManager.default.removeItem(at: url) }
        let e = #expect(throws: DatasetError.self) { _ = try read(url) }
        let name = bad.isNaN ? "NaN" : (bad > 0 ? "inf" : "-inf")
        #expect(e?.description == "\(url.path): element [\(at / width), \(at % width)] is \(name); features must be finite numbers (impute or drop such rows before saving).")
    }

    @Test func aTruncatedFileIsRefused() throws {
        let url = try npyFile(values(), rows: rows, width: width, dropLast: 6)
        defer { try? FileManager.default.removeItem(at: url) }
        let e = #expect(throws: DatasetError.self) { _ = try read(url) }
        #expect(e?.code == .truncatedFile)
        #expect(e?.description.hasPrefix("\(url.path) is truncated") == true)
    }
}
