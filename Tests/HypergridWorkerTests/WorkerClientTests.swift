import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker
import HypergridTestSupport

/// A real ``WorkerClient`` against a fake coordinator over loopback TCP. Trials are tiny
/// (synthetic data, a handful of iterations) so that debug builds stay fast.
@Suite struct WorkerClientTests {
    /// 200 training rows of 64 synthetic features: milliseconds to prepare and train.
    static let tinySpec = DatasetSpec(kind: .synthetic, trainRows: 200, validationRows: 50, testRows: 0)

    static func tinyConfig(epochs: Int = 2) -> TrialConfig {
        TrialConfig(hidden: [8], optimizer: .sgd, learningRate: 0.1, batchSize: 20, length: .epochs(epochs),
                    initScheme: .he, seed: 1)
    }

    /// An assignment of the tiny synthetic trial, its fingerprint computed as a coordinator would.
    static func tinyAssignment(epochs: Int = 2, in directory: URL) throws -> Assignment {
        let fingerprint = try datasetFingerprint(DatasetRequest(spec: tinySpec), cacheDirectory: directory)
        let config = tinyConfig(epochs: epochs)
        return Assignment(trialID: TrialID(config: config, datasetFingerprint: fingerprint), attempt: 1,
                          config: config, dataset: tinySpec, datasetFingerprint: fingerprint)
    }

    /// Polls a condition for up to `timeout` seconds.
    func eventually(_ timeout: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    @Test func trainsAnAssignedTrialAndResendsItsResultUntilAcknowledged() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url, threads: 3)
        defer { worker.finish() }

        let hello = try coordinator.expect("ready") { if case .ready(let h) = $0 { return h } else { return nil } }
        #expect(hello.numericsVersion == HypergridVersion.numerics)
        #expect(hello.programVersion == HypergridVersion.program)
        #expect(hello.workerName == "test-worker" && hello.threadCount == 3)
        #expect(hello.cpuFeatures.hasPrefix("kernel "))
        try coordinator.expect("heartbeat") { $0 == .heartbeat ? () : nil }

        let assignment = try Self.tinyAssignment(in: cache.url)
        try coordinator.send(.assign(assignment))
        var epochs: [Int] = []
        let result = try coordinator.expect("result") { message -> TrialReport? in
            if case .progress(let p) = message, p.trialID == assignment.trialID { epochs.append(p.epoch) }
            if case .result(let r) = message { return r }
            return nil
        }
        #expect(epochs == [1, 2])
        #expect(result.trialID == assignment.trialID && result.attempt == 1)
        #expect(result.outcome.metrics.status == .done)
        #expect(result.outcome.metrics.iterations == 20)
        #expect(result.outcome.metrics.validationAccuracy != nil && result.outcome.metrics.testAccuracy == nil)

        // Unacknowledged: it stays on disk and comes again.
        let pendingFile = PendingResultStore(cacheDirectory: cache.url).fileURL(assignment.trialID)
        #expect(FileManager.default.fileExists(atPath: pendingFile.path))
        let again = try coordinator.expectResult("the result again")
        #expect(again == result)

        // Once the file is gone the worker has taken the ack; nothing is resent after it.
        try coordinator.acknowledge(assignment.trialID) { !FileManager.default.fileExists(atPath: pendingFile.path) }
        let after = try coordinator.collect(for: 1.0)   // more than three resend intervals
        #expect(!after.contains { if case .result = $0 { return true } else { return false } })
        #expect(after.contains(.heartbeat))

        try coordinator.send(.shutdown)
        try coordinator.expect("goodbye") { $0 == .goodbye(abandoned: nil) ? () : nil }
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func aResultProducedWhileTheCoordinatorIsDownIsDeliveredWhenItReturns() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        let assignment = try Self.tinyAssignment(in: cache.url)
        try coordinator.send(.assign(assignment))
        coordinator.close()

        // The trial finishes with nobody listening; the result waits on disk.
        let pendingFile = PendingResultStore(cacheDirectory: cache.url).fileURL(assignment.trialID)
        #expect(eventually { FileManager.default.fileExists(atPath: pendingFile.path) })
        Thread.sleep(forTimeInterval: 1.0)   // long enough for the worker to give up on its socket

        try coordinator.restart()
        try coordinator.expectReady("ready after the restart")
        let result = try coordinator.expectResult("the result")
        #expect(result.trialID == assignment.trialID && result.outcome.metrics.status == .done)
        try coordinator.acknowledge(assignment.trialID) { !FileManager.default.fileExists(atPath: pendingFile.path) }
        #expect(coordinator.readies.values.allSatisfy { $0 == 1 }, "ready once per connection")
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func resultsLeftOnDiskByAnEarlierWorkerAreDeliveredAfterReady() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let store = PendingResultStore(cacheDirectory: cache.url)
        let left = report(42, accuracy: 0.75)
        try store.save(left)
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        let result = try coordinator.expectResult("the old result")
        #expect(result == left)
        try coordinator.acknowledge(left.trialID) { store.loadAll().reports.isEmpty }
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func refusalStopsTheWorkerWithTheReason() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        try coordinator.send(.refuse(reason: "numerics hg-numerics-0 differ from the coordinator's hg-numerics-1"))
        let outcome = try worker.wait()
        let error = #expect(throws: WorkerError.self) { try outcome.get() }
        #expect(error == .refused(address: coordinator.endpoint,
                                  reason: "numerics hg-numerics-0 differ from the coordinator's hg-numerics-1"))
        #expect(error?.exitCode == 3)
    }

    @Test func aCoordinatorOfAnotherProtocolVersionStopsTheWorker() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        var frame = try Message.heartbeat.encoded()
        let future = WireFormat.version + 1
        frame[2] = UInt8(future >> 8)
        frame[3] = UInt8(future & 0xFF)
        try coordinator.sendFrame(frame)
        let error = #expect(throws: WorkerError.self) { try worker.wait().get() }
        #expect(error == .versionMismatch(address: coordinator.endpoint, coordinator: future,
                                          worker: WireFormat.version, refusal: nil))
        #expect(error?.description.contains("speaks protocol \(future), this worker speaks \(WireFormat.version)") == true)
    }

    @Test func aStopRequestHandsTheRunningTrialBackWithoutAResult() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        let assignment = try Self.tinyAssignment(epochs: 1_000_000, in: cache.url)
        try coordinator.send(.assign(assignment))
        try coordinator.expect("progress") { if case .progress = $0 { return () } else { return nil } }
        worker.client.requestStop()
        let goodbye = try coordinator.expect("goodbye") { message -> TrialID?? in
            if case .result = message { Issue.record("a cancelled trial must not be reported") }
            if case .goodbye(let abandoned) = message { return .some(abandoned) } else { return nil }
        }
        #expect(goodbye == assignment.trialID)
        #expect(try worker.wait().get() == .interrupted)
        #expect(PendingResultStore(cacheDirectory: cache.url).loadAll().reports.isEmpty)
    }
}
