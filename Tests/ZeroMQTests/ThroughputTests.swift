import Foundation
import Testing
import ZeroMQ

@Suite struct ThroughputTests {
    /// A ROUTER hands `count` assignment-sized frames (400 B) over TCP loopback to a DEALER on
    /// another thread, which answers each with a result-sized frame (200 B); at most `window`
    /// are outstanding, like a coordinator keeping a worker's queue short. Prints the rate.
    ///
    /// The bound asserted is deliberately far below the measured rate (tens of thousands per
    /// second): it catches a pathological regression, not noise on a shared two-core machine.
    @Test func routerDealerPipelinedRoundTripsOverLoopback() throws {
        let count = 20_000, window = 64
        let context = try Context()
        let (router, endpoint) = try boundRouter(context)
        let workerDone = DispatchSemaphore(value: 0)
        let workerFailure = LockedBox<String?>(nil)
        let workerProgress = LockedBox(0)

        let worker = Thread {
            defer { workerDone.signal() }
            do {
                let dealer = try testSocket(context, .dealer, routingID: "worker")
                try dealer.connect(endpoint)
                try dealer.send(bytes("ready"))
                let result = [UInt8](repeating: 2, count: 200)
                for _ in 0..<count {
                    let assignment = try dealer.receive()
                    guard assignment.count == 1, assignment[0].count == 400 else {
                        throw ZMQError(errno: 22, operation: "check", target: "assignment")
                    }
                    try dealer.send(result)
                    workerProgress.value += 1
                }
                // Closing with linger 0 right after the last send would drop replies still
                // queued in the socket; wait until the router confirms it has them all.
                guard try dealer.receive() == [bytes("done")] else {
                    throw ZMQError(errno: 22, operation: "check", target: "final message")
                }
            } catch {
                workerFailure.value = "\(error)"
            }
        }
        worker.start()

        #expect(try router.receive() == [bytes("worker"), bytes("ready")])
        let assignment = [UInt8](repeating: 1, count: 400)
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0, received = 0
        do {
            while received < count {
                while sent < count && sent - received < window {
                    try router.send(to: bytes("worker"), [assignment])
                    sent += 1
                }
                let reply = try router.receive()
                #expect(reply.count == 2 && reply[1].count == 200)
                received += 1
            }
        } catch {
            Issue.record("router failed after \(sent) sent, \(received) received: \(error); worker answered \(workerProgress.value), failure: \(String(describing: workerFailure.value))")
            throw error
        }
        let seconds = milliseconds(clock.now - start) / 1000
        try router.send(to: bytes("worker"), [bytes("done")])
        workerDone.wait()
        #expect(workerFailure.value == nil)
        let rate = Double(count) / seconds
        print("zmq loopback: \(count) assign(400 B)/result(200 B) round trips in "
              + String(format: "%.3f s = %.0f round trips/s", seconds, rate))
        #expect(rate > 2_000)
    }
}

/// A value shared between a test and a thread it starts.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
