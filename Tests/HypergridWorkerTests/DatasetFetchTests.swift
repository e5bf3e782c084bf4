import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker

/// Fetching a dataset from the coordinator chunk by chunk, through the session.
@Suite struct DatasetFetchTests {
    func chunk(_ index: UInt32, of total: UInt32, _ bytes: [UInt8], fingerprint: String = "f1") -> Message {
        .datasetChunk(DatasetChunk(fingerprint: fingerprint, index: index, total: total, bytes: bytes))
    }

    /// A connected session whose training thread is waiting for dataset `f1`.
    func fetching() -> SessionHarness {
        var h = SessionHarness()
        h.at(0, .start)
        h.at(0.1, .received(.assign(assignment(1))))
        return h
    }

    @Test func chunksAreRequestedOneAtATimeAndAssembledInOrder() {
        var h = fetching()
        #expect(h.at(0.2, .datasetNeeded(fingerprint: "f1")).effects == [.send(.datasetRequest(fingerprint: "f1", chunkIndex: 0))])
        #expect(h.at(0.3, .received(chunk(0, of: 3, [1, 2]))).effects == [.send(.datasetRequest(fingerprint: "f1", chunkIndex: 1))])
        #expect(h.at(0.4, .received(chunk(1, of: 3, [3]))).effects == [.send(.datasetRequest(fingerprint: "f1", chunkIndex: 2))])
        #expect(h.at(0.5, .received(chunk(2, of: 3, [4, 5, 6]))).effects == [.provideDataset(fingerprint: "f1", bytes: [1, 2, 3, 4, 5, 6])])
        // A late duplicate after completion is not mistaken for a new fetch.
        #expect(h.at(0.6, .received(chunk(2, of: 3, [4, 5, 6]))).effects.isEmpty)
    }

    @Test func aRepeatedRequestForTheSameDatasetDoesNotRestartTheFetch() {
        var h = fetching()
        h.at(0.2, .datasetNeeded(fingerprint: "f1"))
        h.at(0.3, .received(chunk(0, of: 2, [1])))
        #expect(h.at(0.4, .datasetNeeded(fingerprint: "f1")).effects.isEmpty)
        #expect(h.at(0.5, .received(chunk(1, of: 2, [2]))).effects == [.provideDataset(fingerprint: "f1", bytes: [1, 2])])
    }

    @Test func duplicateAndForeignChunksAreIgnored() {
        var h = fetching()
        h.at(0.2, .datasetNeeded(fingerprint: "f1"))
        h.at(0.3, .received(chunk(0, of: 3, [1])))
        #expect(h.at(0.4, .received(chunk(0, of: 3, [1]))).effects.isEmpty)        // answer to a repeated request
        #expect(h.at(0.5, .received(chunk(2, of: 3, [9]))).effects.isEmpty)        // out of order
        #expect(h.at(0.6, .received(chunk(1, of: 3, [7], fingerprint: "other"))).effects.isEmpty)
        #expect(h.at(0.7, .received(chunk(1, of: 3, [2]))).effects == [.send(.datasetRequest(fingerprint: "f1", chunkIndex: 2))])
    }

    @Test func aChangingChunkCountFailsTheFetch() {
        var h = fetching()
        h.at(0.2, .datasetNeeded(fingerprint: "f1"))
        h.at(0.3, .received(chunk(0, of: 3, [1])))
        let actions = h.at(0.4, .received(chunk(1, of: 4, [2]))).effects
        guard case .datasetFailed("f1", let reason)? = actions.first, actions.count == 1 else {
            Issue.record("expected the fetch to fail, got \(actions)")
            return
        }
        #expect(reason.contains("4 chunks") && reason.contains("said 3"))
    }

    @Test func datasetUnavailableFailsTheFetchWithTheCoordinatorsReason() {
        var h = fetching()
        h.at(0.2, .datasetNeeded(fingerprint: "f1"))
        let actions = h.at(0.3, .received(.datasetUnavailable(fingerprint: "f1", reason: "no cache file"))).effects
        guard case .datasetFailed("f1", let reason)? = actions.first else {
            Issue.record("expected the fetch to fail, got \(actions)")
            return
        }
        #expect(reason.contains("no cache file"))
        #expect(h.at(0.4, .received(.datasetUnavailable(fingerprint: "f1", reason: "again"))).effects.isEmpty)
    }

    @Test func anUnansweredRequestIsRepeatedThenTheFetchFails() {
        var h = fetching()
        h.at(0.5, .datasetNeeded(fingerprint: "f1"))
        // The coordinator stays alive but never answers the request.
        for t in 1...70 { h.at(Double(t), .received(.heartbeat)) }
        let requests = h.times(of: { if case .send(.datasetRequest) = $0 { return true } else { return false } })
        #expect(requests == [0.5, 15.5, 30.5, 45.5])   // chunk timeout 15 s, 4 attempts
        let failures = h.times(of: { if case .datasetFailed = $0 { return true } else { return false } })
        #expect(failures == [60.5])
    }

    @Test func aNewConnectionRepeatsTheOutstandingRequest() {
        var h = fetching()
        h.at(0.2, .datasetNeeded(fingerprint: "f1"))
        h.at(0.3, .received(chunk(0, of: 2, [1])))
        h.advance(to: 5.3)        // silent since 0.3: dropped at 4.3, reconnected at 5.3
        #expect(h.log.filter { $0.time == 5.3 }.map(\.action).effects
                == [.connect, .sendReady, .send(.datasetRequest(fingerprint: "f1", chunkIndex: 1))])
        #expect(h.at(5.4, .received(chunk(1, of: 2, [2]))).effects == [.provideDataset(fingerprint: "f1", bytes: [1, 2])])
    }

    @Test func aDatasetNeededWhileDisconnectedIsRequestedOnReconnection() {
        var h = fetching()
        h.advance(to: 4.2)        // dropped at 4.1, back at 5.1
        #expect(h.at(4.5, .datasetNeeded(fingerprint: "f1")).effects.isEmpty)
        h.advance(to: 5.1)
        #expect(h.sent(since: 5.1) == [.datasetRequest(fingerprint: "f1", chunkIndex: 0)])
    }
}
