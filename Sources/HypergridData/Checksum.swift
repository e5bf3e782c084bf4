import CZlib

/// CRC-32 (the zlib/gzip polynomial), used to detect corrupt dataset cache files.
/// A thin wrapper over zlib's `crc32_z` (the wire protocol uses the same function for chunks).
public enum CRC32 {
    /// The CRC-32 of `count` bytes at `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        UInt32(crc32_z(uLong(crc), bytes.assumingMemoryBound(to: Bytef.self), z_size_t(count)))
    }
}
