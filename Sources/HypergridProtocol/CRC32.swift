/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG): the integrity
/// check of dataset chunks. It catches corruption, not tampering; the dataset's SHA-256
/// fingerprint is checked over the reassembled whole by the receiver.
public enum CRC32 {
    /// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so
    /// eight input bytes are folded per step instead of one.
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            tables[0][b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = tables[k - 1][b]
                tables[k][b] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        let t = tables
        return bytes.withUnsafeBufferPointer { buffer -> UInt32 in
            var crc: UInt32 = 0xFFFF_FFFF
            var i = 0
            let n = buffer.count
            while i + 8 <= n {
                let lo = crc ^ (UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8
                                | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 3]) << 24)
                crc = t[7][Int(lo & 0xFF)] ^ t[6][Int((lo >> 8) & 0xFF)]
                    ^ t[5][Int((lo >> 16) & 0xFF)] ^ t[4][Int(lo >> 24)]
                    ^ t[3][Int(buffer[i + 4])] ^ t[2][Int(buffer[i + 5])]
                    ^ t[1][Int(buffer[i + 6])] ^ t[0][Int(buffer[i + 7])]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[0][Int((crc ^ UInt32(buffer[i])) & 0xFF)]
                i += 1
            }
            return crc ^ 0xFFFF_FFFF
        }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
