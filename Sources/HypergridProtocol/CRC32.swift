/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG): the integrity
/// check of dataset chunks. It catches corruption, not tampering; the dataset's SHA-256
/// fingerprint is checked over the reassembled whole by the receiver.
public enum CRC32 {
    /// Slicing-by-8 tables, flattened: entry `k * 256 + b` is the CRC of byte b followed by
    /// k zero bytes, so eight input bytes are folded per step instead of one.
    private static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { buffer -> UInt32 in
                // Unchecked access: every table index is a byte (< 256) plus k·256 with k < 8,
                // and every data index is below `n`, so bounds checks could never fire here.
                guard let t = t.baseAddress, let p = buffer.baseAddress else { return 0 }
                let n = buffer.count
                var crc: UInt32 = 0xFFFF_FFFF
                var i = 0
                while i + 8 <= n {
                    let lo = crc ^ (UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24)
                    let a = t[1792 + Int(lo & 0xFF)] ^ t[1536 + Int((lo >> 8) & 0xFF)]
                    let b = t[1280 + Int((lo >> 16) & 0xFF)] ^ t[1024 + Int(lo >> 24)]
                    let c = t[768 + Int(p[i + 4])] ^ t[512 + Int(p[i + 5])]
                    let d = t[256 + Int(p[i + 6])] ^ t[Int(p[i + 7])]
                    crc = a ^ b ^ c ^ d
                    i += 8
                }
                while i < n {
                    crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p[i])) & 0xFF)]
                    i += 1
                }
                return crc ^ 0xFFFF_FFFF
            }
        }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
