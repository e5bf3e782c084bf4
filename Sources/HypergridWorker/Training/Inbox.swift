import Foundation
import ZeroMQ

/// A lock-protected queue into the socket thread, with a bell the socket thread polls
/// together with its DEALER socket, so that what another thread posts is handled at once.
///
/// ZeroMQ sockets must stay on one thread, so other threads do not send; they post here.
/// Why the bell: without it the socket thread found a finished trial only when its poll
/// timed out (at most 50 ms later), and a worker of small trials — a table of a few
/// thousand rows trains in a millisecond — spent most of its time waiting: 200 trials on
/// scikit-learn's digits took 4.4 s, 0.2 s of it training (docs/performance.md).
final class Inbox<Element>: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`, and so is `bell`, which the posting threads share.
    private var items: [Element] = []
    /// The posting side of a wake-up pair (``Socket/wakeUpPair(_:endpoint:)``): one empty
    /// frame whenever the inbox stops being empty.
    private let bell: Socket
    /// The socket thread's side: readable when something was posted since the last
    /// ``drain()``. Only the socket thread uses it.
    let wakeUp: Socket

    init(context: Context) throws {
        (wakeUp, bell) = try Socket.wakeUpPair(context, endpoint: "inproc://hypergrid-worker-inbox-\(UUID().uuidString)")
    }

    func post(_ item: Element) {
        lock.lock()
        defer { lock.unlock() }
        items.append(item)
        // One ring per batch of posts: the socket thread drains everything it finds.
        // It cannot fail short of a closed context, and the poll's timeout is the fallback.
        if items.count == 1 { try? bell.send([[]], dontWait: true) }
    }

    /// Everything posted so far, oldest first; silences the bell.
    func drain() -> [Element] {
        while (try? wakeUp.receive(dontWait: true)) != nil {}   // EAGAIN ends the drain
        lock.lock(); defer { lock.unlock() }
        let out = items
        items = []
        return out
    }

    /// Closes both ends (before the context is closed).
    func close() {
        lock.lock(); defer { lock.unlock() }
        bell.close()
        wakeUp.close()
    }
}
