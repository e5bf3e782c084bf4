import Foundation

/// Broken user files for the bad-input table: CSV tables and NumPy arrays as a user might
/// have them, each wrong in one way.
enum BadDataFixtures {
    /// A `.npy` file: the header dict padded to a 64-byte boundary, then `data`.
    static func npy(descr: String, shape: [Int], fortran: Bool = false, data: [UInt8]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        return Data(bytes + Array(header.utf8) + data)
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    static func int64s(_ values: [Int64]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    static func write(in dir: URL) throws {
        var rare = "a,b,y\n9,9,z\n"
        for i in 0..<20 { rare += "\(i),\(i % 3),\(i % 2)\n" }
        let texts = [
            "good.csv": "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n",
            "ragged.csv": "a,b,y\n1,2,0\n3,4\n5,6,1\n",
            "text-in-number.csv": "a,b,y\n1,2,0\n3,x,1\n5,6,0\n",
            "empty.csv": "",
            "header-only.csv": "a,b,y\n",
            "one-class.csv": "a,b,y\n1,2,1\n3,4,1\n5,6,1\n",
            "rare-class.csv": rare,
        ]
        for (name, text) in texts { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let x = floats([1, 2, 3, 4])
        let arrays: [String: Data] = [
            "x.npy": npy(descr: "<f4", shape: [2, 2], data: x),
            "y.npy": npy(descr: "<i8", shape: [2], data: int64s([0, 1])),
            "y3.npy": npy(descr: "<i8", shape: [3], data: int64s([0, 1, 0])),
            "nan-x.npy": npy(descr: "<f4", shape: [2, 2], data: floats([1, 2, .nan, 4])),
            "complex-x.npy": npy(descr: "<c8", shape: [2, 2], data: x + x),
            "fortran-x.npy": npy(descr: "<f4", shape: [2, 2], fortran: true, data: x),
            "truncated-x.npy": npy(descr: "<f4", shape: [4, 2], data: x),
            // What pickle.dump writes first: the protocol opcode, then the pickle.
            "pickle-x.npy": Data([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x8c, 0x05]),
            // Two bytes of a zip local header and nothing more.
            "corrupt.npz": Data([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]),
        ]
        for (name, bytes) in arrays { try bytes.write(to: dir.appendingPathComponent(name)) }
    }
}
