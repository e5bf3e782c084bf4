import CZlib

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG): the integrity
/// check of dataset chunks. It catches corruption, not tampering; the dataset's SHA-256
/// fingerprint is checked over the reassembled whole by the receiver.
///
/// zlib's `crc32_z` does the work (Debian's zlib is already a dependency for reading
/// gzipped datasets, and its folding implementation is faster than a table in Swift).
public enum CRC32 {
    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            // zlib returns its initial value, 0, for an empty buffer (even a nil pointer).
            UInt32(crc32_z(0, buffer.baseAddress, z_size_t(buffer.count)))
        }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
