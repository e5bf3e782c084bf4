#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A float32 array for a table of unknown length read from a stream, without the second
/// full-size copy a doubling `Array` makes when it grows (old + new buffers at once).
///
/// The caller reserves an upper bound of *address space* — for a CSV file, one float per byte
/// of the file bounds the cells, since every cell ends with a delimiter or a newline — as
/// anonymous `mmap` memory with `MAP_NORESERVE`: only the pages written are ever backed by
/// memory, so a 1 GB file reserves 4 GB of addresses but uses just the matrix. Growing past
/// the reservation (a file that grows while read) copies, and cannot happen otherwise. This is
/// what keeps a CSV read under 2× the size of the final float32 matrix.
final class GrowableFloats: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<Float>
    /// Floats the mapping can hold.
    private(set) var capacity: Int
    /// Floats in use.
    var count = 0
    private var mappedBytes: Int
    private var released = false

    init(reserve floats: Int) {
        mappedBytes = Self.pageRound(max(floats, 1024) * 4)
        base = Self.map(mappedBytes)
        capacity = mappedBytes / 4
    }

    deinit { if !released { munmap(base, mappedBytes) } }

    /// Makes room for `extra` more floats after `count`.
    @inline(__always)
    func reserveMore(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to floats: Int) {
        let newBytes = Self.pageRound(max(floats * 4, mappedBytes + mappedBytes / 2))
        let bigger = Self.map(newBytes)
        bigger.update(from: base, count: count)
        munmap(base, mappedBytes)
        base = bigger
        mappedBytes = newBytes
        capacity = newBytes / 4
    }

    /// Hands the memory to a ``FloatStorage`` (which unmaps it when freed); this object must
    /// not be used afterwards.
    func intoStorage() -> FloatStorage {
        released = true
        let (b, bytes) = (base, mappedBytes)
        return FloatStorage(borrowing: b, count: count, release: { munmap(b, bytes) })
    }

    private static func pageRound(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }

    private static func map(_ bytes: Int) -> UnsafeMutablePointer<Float> {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(p != MAP_FAILED, "out of memory allocating \(bytes) bytes for a table")
        return p!.assumingMemoryBound(to: Float.self)
    }
}
