import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker
import HypergridTestSupport

/// How a worker obtains the data of an assignment it cannot prepare itself.
@Suite struct WorkerDatasetTests {
    /// The tiny synthetic dataset prepared into a directory of the "coordinator's", and an
    /// assignment whose source files do not exist on the worker (as on a remote machine),
    /// so the worker can only get the data by fetching it.
    static func remoteAssignment(preparedIn directory: URL) throws -> (Assignment, [UInt8]) {
        let prepared = try prepareDataset(DatasetRequest(spec: WorkerClientTests.tinySpec), cacheDirectory: directory)
        let file = try #require(prepared.cacheFile)
        let bytes = try [UInt8](Data(contentsOf: file))
        let config = WorkerClientTests.tinyConfig()
        let spec = DatasetSpec(kind: .fashionMNIST, path: "/nonexistent/hypergrid-worker-test",
                               trainRows: 200, validationRows: 50, testRows: 0)
        let assignment = Assignment(trialID: TrialID(config: config, datasetFingerprint: prepared.fingerprint),
                                    attempt: 2, config: config, dataset: spec, datasetFingerprint: prepared.fingerprint)
        return (assignment, bytes)
    }

    @Test func fetchesTheDatasetChunkByChunkAndCachesIt() throws {
        let source = TemporaryDirectory(), cache = TemporaryDirectory()
        defer { source.remove(); cache.remove() }
        let (assignment, bytes) = try Self.remoteAssignment(preparedIn: source.url)
        let fingerprint = assignment.datasetFingerprint
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        let hello = try coordinator.expect("ready") { if case .ready(let h) = $0 { return h } else { return nil } }
        #expect(hello.cachedDatasets.isEmpty)
        try coordinator.send(.assign(assignment))

        let total: UInt32 = 4
        let size = (bytes.count + Int(total) - 1) / Int(total)
        var requested: [UInt32] = []
        for _ in 0..<total {
            let index = try coordinator.expect("a chunk request") { message -> UInt32? in
                if case .datasetRequest(fingerprint, let index) = message { return index } else { return nil }
            }
            requested.append(index)
            let piece = Array(bytes[min(Int(index) * size, bytes.count)..<min(Int(index + 1) * size, bytes.count)])
            try coordinator.send(.datasetChunk(DatasetChunk(fingerprint: fingerprint, index: index, total: total, bytes: piece)))
        }
        #expect(requested == [0, 1, 2, 3])

        let result = try coordinator.expectResult()
        #expect(result.trialID == assignment.trialID && result.attempt == 2)
        #expect(result.outcome.metrics.status == .done, "\(result.outcome.metrics.reason ?? "")")
        let cached = DatasetCache.fileURL(fingerprint: fingerprint, directory: cache.url)
        #expect(try [UInt8](Data(contentsOf: cached)) == bytes)
        #expect(DatasetStore.cachedFingerprints(in: cache.url) == [fingerprint])

        try coordinator.send(.ack(assignment.trialID))
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func aDatasetTheCoordinatorCannotSendFailsTheTrialWithItsReason() throws {
        let source = TemporaryDirectory(), cache = TemporaryDirectory()
        defer { source.remove(); cache.remove() }
        let (assignment, _) = try Self.remoteAssignment(preparedIn: source.url)
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        try coordinator.send(.assign(assignment))
        try coordinator.expect("a chunk request") { if case .datasetRequest = $0 { return () } else { return nil } }
        try coordinator.send(.datasetUnavailable(fingerprint: assignment.datasetFingerprint, reason: "its cache file was deleted"))

        let result = try coordinator.expectResult()
        #expect(result.trialID == assignment.trialID)
        #expect(result.outcome.metrics.status == .failed)
        #expect(result.outcome.metrics.reason?.contains("its cache file was deleted") == true)
        try coordinator.send(.ack(assignment.trialID))
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func fetchedBytesThatAreNotTheDatasetFailTheTrial() throws {
        let source = TemporaryDirectory(), cache = TemporaryDirectory()
        defer { source.remove(); cache.remove() }
        let (assignment, bytes) = try Self.remoteAssignment(preparedIn: source.url)
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        try coordinator.expectReady()
        try coordinator.send(.assign(assignment))
        try coordinator.expect("a chunk request") { if case .datasetRequest = $0 { return () } else { return nil } }
        // Each chunk's CRC is right, but the file is not whole: the import must notice.
        let truncated = Array(bytes.dropLast(100))
        try coordinator.send(.datasetChunk(DatasetChunk(fingerprint: assignment.datasetFingerprint, index: 0, total: 1, bytes: truncated)))

        let result = try coordinator.expectResult()
        #expect(result.outcome.metrics.status == .failed)
        #expect(result.outcome.metrics.reason?.contains("unusable") == true)
        #expect(!FileManager.default.fileExists(
            atPath: DatasetCache.fileURL(fingerprint: assignment.datasetFingerprint, directory: cache.url).path))
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }

    @Test func aCachedDatasetIsAdvertisedAndUsedWithoutFetching() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        // The coordinator's file, already copied into the worker's cache.
        let (assignment, _) = try Self.remoteAssignment(preparedIn: cache.url)
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }

        let hello = try coordinator.expect("ready") { if case .ready(let h) = $0 { return h } else { return nil } }
        #expect(hello.cachedDatasets == [assignment.datasetFingerprint])
        try coordinator.send(.assign(assignment))
        let result = try coordinator.expect("result") { message -> TrialReport? in
            if case .datasetRequest = message { Issue.record("fetched a dataset it has") }
            if case .result(let r) = message { return r } else { return nil }
        }
        #expect(result.outcome.metrics.status == .done)
        try coordinator.shutDown()
        #expect(try worker.wait().get() == .shutdown)
    }
}
