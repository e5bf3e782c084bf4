import CZlib

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib, gzip and PNG): detects
/// corrupt dataset cache files, checkpoints and dataset chunks on the wire. It catches
/// corruption, not tampering. A thin wrapper over zlib's `crc32_z`.
public enum CRC32 {
    /// The CRC-32 of `count` bytes at `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        UInt32(crc32_z(uLong(crc), bytes.assumingMemoryBound(to: Bytef.self), z_size_t(count)))
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        // zlib returns its initial value, 0, for an empty buffer (even a nil pointer).
        bytes.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, z_size_t($0.count))) }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }
}
