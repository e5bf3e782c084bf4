#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reusable packing memory for ``gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:workspace:)``.
///
/// Why a workspace: training calls GEMM about ten times per iteration on shapes as
/// small as 200×256×99, where a `malloc`/`free` pair per call would be a visible
/// share of the run time. The buffer grows to the largest size any call needed
/// and is then reused, so the steady state allocates nothing.
///
/// A workspace is not thread-safe: use one per thread. Calls that do not pass
/// one use a lazily created workspace owned by the calling thread
/// (``GEMMWorkspace/current``), freed when the thread exits.
public final class GEMMWorkspace {
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    /// Wall nanoseconds of timed GEMM calls on this workspace's thread (``GEMMProfile``).
    var profileNanoseconds: UInt64 = 0
    /// The narrow GEMMs' part of it, and the optimizer steps' time (``GEMMProfile``).
    var profileNarrowNanoseconds: UInt64 = 0, profileOptimizerNanoseconds: UInt64 = 0

    /// An empty workspace; the first GEMM that uses it allocates.
    public init() {}

    deinit { storage?.deallocate() }

    /// Floats currently reserved.
    public var reservedFloats: Int { capacity }

    /// At least `count` floats, 64-byte aligned. Contents are unspecified.
    /// Allocates only when `count` exceeds every earlier request, and then frees
    /// what earlier calls returned.
    @inline(__always)
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity { grow(to: count) }
        // Safe: `grow` left `storage` non-nil with `capacity >= count`.
        return storage.unsafelyUnwrapped
    }

    @inline(never)
    private func grow(to count: Int) {
        storage?.deallocate()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        storage = raw.bindMemory(to: Float.self, capacity: count)
        capacity = count
    }

    /// The calling thread's own workspace, created on first use.
    ///
    /// Kept in a pthread key rather than a global so concurrent callers (for
    /// example one trial per thread) never share buffers and never lock.
    public static var current: GEMMWorkspace {
        let key = workspaceKey
        if let raw = pthread_getspecific(key) {
            // Safe: the key only ever holds a retained GEMMWorkspace (see below).
            return Unmanaged<GEMMWorkspace>.fromOpaque(raw).takeUnretainedValue()
        }
        let ws = GEMMWorkspace()
        // The thread's reference; released by the key's destructor at thread exit.
        pthread_setspecific(key, Unmanaged.passRetained(ws).toOpaque())
        return ws
    }
}

/// The pthread key behind ``GEMMWorkspace/current``; its destructor releases
/// the workspace of a thread that exits.
private let workspaceKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        guard let raw else { return }
        Unmanaged<GEMMWorkspace>.fromOpaque(raw).release()
    }
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()
