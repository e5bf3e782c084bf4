import Foundation

/// Read-only access to the members of a zip archive (a `.npz` file), stored or deflated,
/// each streamed and checked against its CRC-32.
///
/// Hand-written rather than weichsel/ZIPFoundation 0.9.20: that package declares its own
/// system-library module named `CZlib` for zlib, the same module name as this project's
/// `CZlib` target, so the two cannot be linked into one program; and a `.npz` needs only
/// the central directory (with its ZIP64 fields: numpy writes every member with
/// `force_zip64`), the local header and zlib's raw inflate, which `CZlib` already provides.
final class ZipArchive {
    struct Member {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    let url: URL
    let members: [Member]
    private let file: FileDescriptor

    init(_ url: URL) throws {
        self.url = url
        file = try FileDescriptor(url)
        members = try Self.centralDirectory(file)
    }

    /// The member named `name` (or `name.npy`), streamed; the stream checks its CRC-32 at the end
    /// through ``finish(_:_:)``.
    func open(_ name: String) throws -> (member: Member, stream: ByteStream) {
        guard let m = members.first(where: { $0.name == name || $0.name == name + ".npy" }) else {
            let names = members.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
            throw DatasetError(.missingFile, "\(url.path) has no array '\(name)' (it holds \(names.isEmpty ? "none" : names.joined(separator: ", "))); name the arrays with x_name and y_name.")
        }
        let label = "\(url.path) member \(m.name)"
        guard m.flags & 1 == 0 else { throw DatasetError(.corruptFile, "\(label) is encrypted, which hypergrid does not read.") }
        var local = [UInt8](repeating: 0, count: 30)
        guard try local.withUnsafeMutableBytes({ try file.read(into: $0.baseAddress!, count: 30, at: m.localHeaderOffset) }) == 30,
              Self.u32(local, 0) == 0x0403_4b50 else {
            throw DatasetError(.corruptFile, "\(label) is corrupt: no local header where the central directory says it starts.")
        }
        let dataOffset = m.localHeaderOffset + 30 + Int(Self.u16(local, 26)) + Int(Self.u16(local, 28))
        guard dataOffset + m.compressedSize <= file.size else {
            throw DatasetError(.truncatedFile, "\(label) is truncated: the archive ends inside its data.")
        }
        let raw = FileRangeStream(file, name: label, offset: dataOffset, length: m.compressedSize)
        switch m.method {
        case 0:
            guard m.compressedSize == m.size else { throw DatasetError(.corruptFile, "\(label) is corrupt: a stored member with two sizes.") }
            return (m, raw)
        case 8:
            return (m, try InflateStream(raw, name: label, uncompressedLength: m.size))
        default:
            throw DatasetError(.corruptFile, "\(label) uses zip compression method \(m.method); hypergrid reads stored and deflated members (numpy.savez and numpy.savez_compressed).")
        }
    }

    /// Checks a fully read member's CRC-32.
    func finish(_ member: Member, _ stream: ByteStream) throws {
        let crc = (stream as? InflateStream)?.crc ?? (stream as? FileRangeStream)?.crc ?? member.crc
        guard crc == member.crc else {
            throw DatasetError(.corruptFile, "\(url.path) member \(member.name) is corrupt: its CRC-32 does not match its data.")
        }
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(b, at)) | UInt32(u16(b, at + 2)) << 16 }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }

    /// Finds the end-of-central-directory record (and its ZIP64 form) and reads every entry.
    private static func centralDirectory(_ file: FileDescriptor) throws -> [Member] {
        let path = file.url.path
        func corrupt(_ why: String) -> DatasetError { DatasetError(.corruptFile, "\(path) is not a readable .npz (zip) archive: \(why).") }
        let tailLength = min(file.size, 22 + 65_535)
        var tail = [UInt8](repeating: 0, count: tailLength)
        _ = try tail.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: tailLength, at: file.size - tailLength) }
        var eocd = -1
        var i = tailLength - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4b && tail[i + 2] == 5 && tail[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw corrupt(file.size == 0 ? "it is empty" : "it has no end-of-central-directory record (not a zip file, or truncated)") }
        var entries = Int(u16(tail, eocd + 10))
        var cdSize = Int(u32(tail, eocd + 12))
        var cdOffset = Int(u32(tail, eocd + 16))
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // ZIP64: a locator right before the record points at the ZIP64 end record.
            let locatorStart = file.size - tailLength + eocd - 20
            var locator = [UInt8](repeating: 0, count: 20)
            guard locatorStart >= 0,
                  try locator.withUnsafeMutableBytes({ try file.read(into: $0.baseAddress!, count: 20, at: locatorStart) }) == 20,
                  u32(locator, 0) == 0x0706_4b50 else { throw corrupt("its ZIP64 locator is missing") }
            let recordOffset = Int(u64(locator, 8))
            var record = [UInt8](repeating: 0, count: 56)
            guard recordOffset >= 0, recordOffset + 56 <= file.size,
                  try record.withUnsafeMutableBytes({ try file.read(into: $0.baseAddress!, count: 56, at: recordOffset) }) == 56,
                  u32(record, 0) == 0x0606_4b50 else { throw corrupt("its ZIP64 end record is missing") }
            entries = Int(u64(record, 32)); cdSize = Int(u64(record, 40)); cdOffset = Int(u64(record, 48))
        }
        guard cdOffset >= 0, cdSize >= 0, cdOffset + cdSize <= file.size, entries < 1 << 20 else {
            throw corrupt("its central directory lies outside the file (truncated?)")
        }
        var cd = [UInt8](repeating: 0, count: cdSize)
        _ = try cd.withUnsafeMutableBytes { cdSize == 0 ? 0 : try file.read(into: $0.baseAddress!, count: cdSize, at: cdOffset) }
        var members: [Member] = []
        var at = 0
        for _ in 0..<entries {
            guard at + 46 <= cdSize, u32(cd, at) == 0x0201_4b50 else { throw corrupt("its central directory is damaged") }
            let nameLength = Int(u16(cd, at + 28)), extraLength = Int(u16(cd, at + 30)), commentLength = Int(u16(cd, at + 32))
            guard at + 46 + nameLength + extraLength + commentLength <= cdSize else { throw corrupt("its central directory is damaged") }
            var m = Member(name: String(decoding: cd[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                           method: u16(cd, at + 10), flags: u16(cd, at + 8), crc: u32(cd, at + 16),
                           compressedSize: Int(u32(cd, at + 20)), size: Int(u32(cd, at + 24)),
                           localHeaderOffset: Int(u32(cd, at + 42)))
            // The ZIP64 extra field holds, in this order, whichever of the three are 0xFFFFFFFF.
            var e = at + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(cd, e), length = Int(u16(cd, e + 2))
                if id == 1 {
                    var f = e + 4
                    func next() -> Int? { guard f + 8 <= e + 4 + length else { return nil }; defer { f += 8 }; return Int(u64(cd, f)) }
                    if m.size == 0xFFFF_FFFF, let v = next() { m.size = v }
                    if m.compressedSize == 0xFFFF_FFFF, let v = next() { m.compressedSize = v }
                    if m.localHeaderOffset == 0xFFFF_FFFF, let v = next() { m.localHeaderOffset = v }
                }
                e += 4 + length
            }
            guard m.size >= 0, m.compressedSize >= 0, m.localHeaderOffset >= 0, m.localHeaderOffset < file.size else {
                throw corrupt("member \(m.name) lies outside the file")
            }
            members.append(m)
            at += 46 + nameLength + extraLength + commentLength
        }
        return members
    }
}
