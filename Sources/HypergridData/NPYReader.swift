import Foundation

/// Reader for NumPy `.npy` arrays (format versions 1–3), from a file or a `.npz` member.
///
/// Supported: dtypes float32, float64, uint8, int32, int64 and bool, little-endian, C order.
/// Refused, each in one sentence naming the array: Fortran order, big-endian data, object
/// arrays (their data is a pickle, and hypergrid never unpickles anything), structured and
/// other dtypes, and files that are pickles rather than arrays. Hand-written because the
/// format is a magic, a length and a Python dict literal with three keys — no Swift package
/// available here reads it.
enum NPY {
    enum DType: String {
        case float32 = "f4", float64 = "f8", uint8 = "u1", int32 = "i4", int64 = "i8", bool = "b1"
        var size: Int {
            switch self {
            case .uint8, .bool: return 1
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            }
        }
        var isFloatingPoint: Bool { self == .float32 || self == .float64 }
        var numpyName: String {
            switch self {
            case .float32: return "float32"
            case .float64: return "float64"
            case .uint8: return "uint8"
            case .int32: return "int32"
            case .int64: return "int64"
            case .bool: return "bool"
            }
        }
    }

    struct Header {
        var dtype: DType
        var shape: [Int]
        var count: Int { shape.reduce(1, *) }
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads and checks the header; the stream is then at the first value.
    static func header(_ s: ByteStream) throws -> Header {
        let name = s.name
        var lead = [UInt8](repeating: 0, count: 8)
        let got = try lead.withUnsafeMutableBytes { try s.read(into: $0.baseAddress!, count: 8) }
        if got >= 1 && lead[0] == 0x80 {
            throw DatasetError(.corruptFile, "\(name) is a Python pickle, not a .npy array; hypergrid never unpickles (save the array with numpy.save and allow_pickle=False).")
        }
        guard got == 8, Array(lead[0..<6]) == magic else {
            if got < 8 && Array(lead.prefix(got)) == Array(magic.prefix(got)) {
                throw DatasetError(.truncatedFile, "\(name) is truncated in its .npy header (\(got) bytes).")
            }
            throw DatasetError(.corruptFile, "\(name) is not a .npy array: it does not start with the \\x93NUMPY magic.")
        }
        let major = lead[6]
        guard (1...3).contains(major) else {
            throw DatasetError(.corruptFile, "\(name) is .npy format version \(major).\(lead[7]), which hypergrid does not read (versions 1–3).")
        }
        let lengthBytes = major == 1 ? 2 : 4
        var lengthField = [UInt8](repeating: 0, count: lengthBytes)
        guard try lengthField.withUnsafeMutableBytes({ try s.read(into: $0.baseAddress!, count: lengthBytes) }) == lengthBytes else {
            throw DatasetError(.truncatedFile, "\(name) is truncated in its .npy header.")
        }
        let length = lengthField.reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length <= 1 << 20 else { throw DatasetError(.corruptFile, "\(name) has a .npy header of \(length) bytes, far more than any array needs.") }
        var text = [UInt8](repeating: 0, count: length)
        guard try text.withUnsafeMutableBytes({ length == 0 ? 0 : try s.read(into: $0.baseAddress!, count: length) }) == length else {
            throw DatasetError(.truncatedFile, "\(name) is truncated in its .npy header.")
        }
        return try parseDict(String(decoding: text, as: UTF8.self), name: name)
    }

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parseDict(_ text: String, name: String) throws -> Header {
        func value(_ key: String) -> Substring? {
            guard let k = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\""),
                  let colon = text[k.upperBound...].firstIndex(of: ":") else { return nil }
            return text[text.index(after: colon)...].drop { $0 == " " }
        }
        guard let descrValue = value("descr"), let fortranValue = value("fortran_order"), let shapeValue = value("shape") else {
            throw DatasetError(.corruptFile, "\(name) has a .npy header without descr, fortran_order and shape: \(text.prefix(80)).")
        }
        guard let quote = descrValue.first, quote == "'" || quote == "\"" else {
            throw DatasetError(.corruptFile, "\(name) holds a structured array (fields \(descrValue.prefix(60))…); hypergrid reads plain numeric arrays of float32, float64, uint8, int32, int64 or bool.")
        }
        let descr = String(descrValue.dropFirst().prefix { $0 != quote })
        if fortranValue.hasPrefix("True") {
            throw DatasetError(.corruptFile, "\(name) is in Fortran (column-major) order; save it in C order, e.g. numpy.save(path, numpy.ascontiguousarray(a)).")
        }
        let order = descr.first ?? " "
        let code = String(descr.dropFirst())
        if code.hasPrefix("O") {
            throw DatasetError(.corruptFile, "\(name) is an object array, whose data is a Python pickle; hypergrid never unpickles, so save a numeric array (e.g. a.astype(numpy.float32)).")
        }
        if order == ">" && code != "u1" && code != "b1" {
            throw DatasetError(.corruptFile, "\(name) is big-endian (\(descr)); save it little-endian, e.g. a.astype(a.dtype.newbyteorder('<')).")
        }
        guard "<|=".contains(order), let dtype = DType(rawValue: code) else {
            throw DatasetError(.corruptFile, "\(name) has dtype \(descr), which hypergrid does not read; use float32, float64, uint8, int32, int64 or bool.")
        }
        guard shapeValue.first == "(", let close = shapeValue.firstIndex(of: ")") else {
            throw DatasetError(.corruptFile, "\(name) has a .npy header whose shape cannot be read: \(shapeValue.prefix(40)).")
        }
        let inner = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if t.isEmpty { continue }
            guard let d = Int(t), d >= 0 else {
                throw DatasetError(.corruptFile, "\(name) has a .npy header whose shape cannot be read: (\(inner)).")
            }
            shape.append(d)
        }
        let (total, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, total < Int.max / 8 else {
            throw DatasetError(.corruptFile, "\(name) has an impossible shape (\(inner)).")
        }
        return Header(dtype: dtype, shape: shape)
    }

    /// Refuses, before anything is allocated or read, a stream known to be shorter than the
    /// values its header promises.
    static func checkKnownLength(_ s: ByteStream, _ header: Header) throws {
        let bytes = header.count * header.dtype.size
        if let known = s.knownLength, known < bytes {
            throw DatasetError(.truncatedFile, "\(s.name) is truncated: its header promises \(header.shape.map(String.init).joined(separator: " × ")) \(header.dtype.numpyName) values (\(grouped(bytes)) bytes) but only \(grouped(known)) bytes follow.")
        }
    }

    /// Refuses bytes after the `total` values the header declares.
    static func expectEnd(_ s: ByteStream, after total: Int) throws {
        var extra: UInt8 = 0
        if try s.read(into: &extra, count: 1) > 0 {
            throw DatasetError(.corruptFile, "\(s.name) has bytes after the \(grouped(total)) values its header declares.")
        }
    }

    /// Reads a float32 array's `header.count` values straight into `destination`, in C order,
    /// and calls `nonFinite(index, value)` for the first NaN or infinity (which should throw).
    ///
    /// Why not ``readValues``: its call per value made `predict` on a 600 MB `.npy` spend as
    /// long reading as computing. The file's bytes already are the host's little-endian
    /// floats, so they are read in place and scanned once for an all-ones exponent.
    static func readFloat32(_ s: ByteStream, _ header: Header, into destination: UnsafeMutablePointer<Float>,
                            nonFinite: (Int, Double) throws -> Void) throws {
        precondition(header.dtype == .float32)
        let total = header.count
        try checkKnownLength(s, header)
        let chunkValues = 1 << 18
        var index = 0
        while index < total {
            let want = min(chunkValues, total - index)
            let got = try s.read(into: UnsafeMutableRawPointer(destination + index), count: want * 4)
            guard got == want * 4 else {
                throw DatasetError(.truncatedFile, "\(s.name) is truncated: its header promises \(grouped(total)) float32 values but the data ends after \(grouped(index + got / 4)).")
            }
            let bits = UnsafeMutableRawPointer(destination + index).assumingMemoryBound(to: UInt32.self)
            #if _endian(big)
            for k in 0..<want { bits[k] = UInt32(littleEndian: bits[k]) }
            #endif
            // The largest exponent field in the chunk (a loop the compiler vectorises); only a
            // chunk holding NaN or infinity (exponent all ones) is searched value by value.
            var largestExponent: UInt32 = 0
            for k in 0..<want { largestExponent = max(largestExponent, bits[k] & 0x7F80_0000) }
            if largestExponent == 0x7F80_0000 {
                for k in 0..<want where !destination[index + k].isFinite {
                    try nonFinite(index + k, Double(destination[index + k]))
                }
            }
            index += want
        }
        try expectEnd(s, after: total)
    }

    /// Reads `header.count` values, calling `body(index, value)` for each in C order; throws
    /// `truncatedFile` when the stream ends first and `corruptFile` when bytes are left over.
    static func readValues(_ s: ByteStream, _ header: Header, _ body: (Int, Double) throws -> Void) throws {
        let size = header.dtype.size
        let total = header.count
        try checkKnownLength(s, header)
        let chunkValues = max(1, (1 << 20) / size)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkValues * size, alignment: 8)
        defer { buffer.deallocate() }
        var index = 0
        while index < total {
            let want = min(chunkValues, total - index)
            let got = try s.read(into: buffer, count: want * size)
            guard got == want * size else {
                throw DatasetError(.truncatedFile, "\(s.name) is truncated: its header promises \(grouped(total)) \(header.dtype.numpyName) values but the data ends after \(grouped(index + got / size)).")
            }
            switch header.dtype {
            case .float32:
                for k in 0..<want { try body(index + k, Double(Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))))) }
            case .float64:
                for k in 0..<want { try body(index + k, Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)))) }
            case .uint8, .bool:
                for k in 0..<want { try body(index + k, Double(buffer.load(fromByteOffset: k, as: UInt8.self))) }
            case .int32:
                for k in 0..<want { try body(index + k, Double(Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self)))) }
            case .int64:
                for k in 0..<want { try body(index + k, Double(Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self)))) }
            }
            index += want
        }
        try expectEnd(s, after: total)
    }
}
