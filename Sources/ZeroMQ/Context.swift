import CZeroMQ
import Foundation

/// A libzmq context: the I/O threads and the `inproc://` namespace that sockets share.
///
/// Thread safety: a context may be shared by any number of threads (libzmq contexts are
/// thread-safe), which is why it is `Sendable`. Sockets are not; see ``Socket``.
///
/// Lifetime: every ``Socket`` keeps its context alive, so the context is terminated
/// (`zmq_ctx_term`) only after its last socket is gone, on deinit, or earlier by ``close()``.
public final class Context: @unchecked Sendable {
    // Guarded by `lock`; nil once terminated. The pointer itself is only read under the lock
    // when closing: libzmq allows concurrent zmq_socket calls on one context.
    private var handle: UnsafeMutableRawPointer?
    private let lock = NSLock()

    /// The linger (ms) that new sockets start with. libzmq's default is -1 (wait forever for
    /// unsent messages at close), which makes a process hang on exit when a peer is gone;
    /// a bounded default still gives a final `goodbye` time to leave.
    public let defaultLingerMilliseconds: Int32

    /// Creates a context with `ioThreads` background I/O threads.
    public init(ioThreads: Int32 = 1, defaultLingerMilliseconds: Int32 = 1000) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("create context") }
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("set context I/O threads to", "\(ioThreads)")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
        self.defaultLingerMilliseconds = defaultLingerMilliseconds
    }

    deinit { close() }

    /// The raw pointer for sockets created on this context; throws once the context is closed.
    func rawHandle(for operation: String) throws -> UnsafeMutableRawPointer {
        lock.lock(); defer { lock.unlock() }
        guard let handle else { throw ZMQError(errno: ETERM, operation: operation) }
        return handle
    }

    /// Makes every blocking call on this context's sockets fail with `.terminated` and every
    /// later call too, without waiting; sockets must still be closed. Idempotent.
    public func shutdown() {
        lock.lock(); defer { lock.unlock() }
        if let handle { zmq_ctx_shutdown(handle) }
    }

    /// Terminates the context (`zmq_ctx_term`). Blocks until every socket of this context
    /// has been closed (other threads' blocking calls fail with `.terminated` meanwhile), and
    /// for each socket's linger. Idempotent; later socket creation throws `.terminated`.
    public func close() {
        lock.lock()
        let h = handle
        handle = nil
        lock.unlock()
        guard let h else { return }
        // zmq_ctx_term can be interrupted by a signal before it is done; it must be retried.
        while zmq_ctx_term(h) != 0 && zmq_errno() == EINTR {}
    }
}

/// Facts about the linked libzmq.
public enum ZMQ {
    /// The libzmq version, e.g. (4, 3, 4).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with a capability: "curve", "ipc", "draft", ….
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
