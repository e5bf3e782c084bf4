import Foundation
import HypergridProtocol
import HypergridSearchSpace
import HypergridTestSupport
import Testing
import ZeroMQ
@testable import HypergridWorker

/// The training thread's reports reach the socket thread at once: posting rings a bell the
/// socket thread polls with its socket, instead of waiting for the poll's timeout.
@Suite struct InboxTests {
    @Test func aPostFromAnotherThreadEndsAWaitAtOnceAndDrainSilencesTheBell() throws {
        let context = try Context()
        defer { context.close() }
        let inbox = try Inbox<Int>(context: context)
        defer { inbox.close() }
        #expect(try Socket.pollReadable([inbox.wakeUp], timeoutMilliseconds: 0).isEmpty)

        Thread { Thread.sleep(forTimeInterval: 0.05); for i in 1...3 { inbox.post(i) } }.start()
        let start = ContinuousClock.now
        let ready = try Socket.pollReadable([inbox.wakeUp], timeoutMilliseconds: 10_000)
        #expect(ready == [0] && ContinuousClock.now - start < .seconds(5))
        Thread.sleep(forTimeInterval: 0.05)   // the other two posts land meanwhile
        #expect(inbox.drain() == [1, 2, 3])
        // One ring for the three posts, taken by the drain: nothing wakes the next wait.
        #expect(try Socket.pollReadable([inbox.wakeUp], timeoutMilliseconds: 0).isEmpty)
        inbox.post(4)
        #expect(try Socket.pollReadable([inbox.wakeUp], timeoutMilliseconds: 0) == [0])
        #expect(inbox.drain() == [4])
    }

    /// A real worker of tiny trials sends each result as soon as the trial ends. Before the
    /// bell it was found only at the poll's timeout: every trial then took up to 50 ms more
    /// (a median of tens of milliseconds here), whatever its training time.
    @Test func aWorkerOfTinyTrialsSendsEachResultAtOnce() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }
        try coordinator.expectReady()

        let first = try WorkerClientTests.tinyAssignment(epochs: 1, in: cache.url)
        var latencies: [Double] = []
        for seed in 1...21 {
            var assignment = first
            assignment.config.seed = UInt64(seed)
            assignment.trialID = TrialID(config: assignment.config, datasetFingerprint: assignment.datasetFingerprint)
            let sent = ContinuousClock.now
            try coordinator.send(.assign(assignment))
            let result = try coordinator.expect("the result of seed \(seed)") { message -> TrialReport? in
                if case .result(let r) = message, r.trialID == assignment.trialID { return r }
                return nil
            }
            let elapsed = ContinuousClock.now - sent
            #expect(result.outcome.metrics.status == .done)
            // The first trial also prepares the dataset.
            if seed > 1 { latencies.append(Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)) }
            try coordinator.send(.ack(assignment.trialID))
        }
        let median = latencies.sorted()[latencies.count / 2]
        #expect(median < 0.025, "median assignment-to-result time \(Int(median * 1000)) ms for a trial that trains in about 1 ms")
        try coordinator.shutDown()
    }
}
