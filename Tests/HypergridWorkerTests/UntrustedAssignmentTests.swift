import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker
import HypergridTestSupport

/// A worker does not take an assignment's word for what it is: the trial id is checked
/// against the configuration, and a dataset fingerprint that would make a path is refused.
@Suite struct UntrustedAssignmentTests {
    /// Sends `assignment` to a real worker and returns its result.
    func result(of assignment: Assignment, cache: TemporaryDirectory) throws -> TrialReport {
        let coordinator = try FakeCoordinator()
        let worker = BackgroundWorker(endpoint: coordinator.endpoint, cacheDirectory: cache.url)
        defer { worker.finish() }
        _ = try coordinator.expect("ready") { if case .ready(let h) = $0 { return h } else { return nil } }
        try coordinator.send(.assign(assignment))
        let report = try coordinator.expectResult()
        try coordinator.shutDown()
        return report
    }

    @Test func anIdThatIsNotTheConfigurationsIsNotTrained() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        var assignment = try WorkerClientTests.tinyAssignment(in: cache.url)
        assignment.token = [7, 7, 7]
        assignment.config.learningRate = 0.2   // the id stays that of learning rate 0.1
        let report = try result(of: assignment, cache: cache)
        #expect(report.trialID == assignment.trialID && report.token == [7, 7, 7])
        #expect(report.outcome.metrics.status == .failed)
        #expect(report.outcome.metrics.iterations == 0)
        #expect(report.outcome.metrics.reason == "trial id \(assignment.trialID.short) is not the id of the assigned configuration, dataset and numerics, so it was not trained")
    }

    @Test func aFingerprintThatWouldMakeAPathIsNotUsed() throws {
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        let config = WorkerClientTests.tinyConfig()
        let fingerprint = "../../outside"
        let assignment = Assignment(trialID: TrialID(config: config, datasetFingerprint: fingerprint), attempt: 1,
                                    config: config, dataset: WorkerClientTests.tinySpec, datasetFingerprint: fingerprint)
        let report = try result(of: assignment, cache: cache)
        #expect(report.outcome.metrics.status == .failed)
        #expect(report.outcome.metrics.reason == "the assignment's dataset fingerprint is not a plain name, so it was not used as a file name")
        #expect(!FileManager.default.fileExists(atPath: cache.url.deletingLastPathComponent().appendingPathComponent("outside.hgdata").path))
    }

    @Test func plainNamesAreTheOnlyFingerprints() {
        #expect(DatasetCache.isPlainName(String(repeating: "ab", count: 32)))
        #expect(DatasetCache.isPlainName("cifar10-std_2"))
        for bad in ["", "..", "a/b", "../x", ".hidden", "a b", "x\u{0}", "é", String(repeating: "a", count: 129)] {
            #expect(!DatasetCache.isPlainName(bad), "\(bad)")
        }
    }
}

/// The worker's side of a rejected result: a result kept from a coordinator whose run
/// directory is gone carries a token the new coordinator did not issue. The coordinator
/// acknowledges it and assigns the trial again; the worker must then train it.
@Suite struct StaleResultTests {
    @Test func aStaleResultIsDroppedOnItsAckAndTheTrialTrainedOnTheNextAssignment() {
        var h = SessionHarness(pending: [report(1)])
        h.at(0, .start)
        h.at(0.1, .received(.heartbeat))
        // Assigned the trial whose result it kept: it answers with the kept result.
        let first = h.at(0.2, .received(.assign(assignment(1)))).effects
        #expect(first == [.send(.result(report(1)))])
        // Rejected: acknowledged (the file is deleted) and assigned again, in that order.
        #expect(h.at(0.3, .received(.ack(trialID(1)))).effects == [.discardResult(trialID(1))])
        #expect(h.at(0.4, .received(.assign(assignment(1)))).effects == [.startTrial(assignment(1))])
        #expect(h.session.unacknowledged.isEmpty && h.session.currentTrial == trialID(1))
    }
}

@Suite struct RefusedKeyTests {
    @Test func aRefusedHandshakeIsLoggedOncePerConnection() {
        var h = SessionHarness(policy: WorkerSessionPolicy(heartbeatInterval: 1, liveness: 2, giveUpAfter: nil))
        h.at(0, .start)
        func refusals(_ actions: [WorkerSessionAction]) -> [String] {
            actions.compactMap { if case .log(.warning, let text) = $0, text.contains("refused this worker's key") { return text } else { return nil } }
        }
        #expect(refusals(h.at(0.1, .handshakeRefused(status: 400)))
                == ["the coordinator at tcp://coordinator:5555 refused this worker's key (ZAP status 400): its public key must be in the coordinator's --authorized-keys"])
        #expect(refusals(h.at(0.5, .handshakeRefused(status: 400))).isEmpty)   // libzmq retrying on the same socket
        #expect(h.session.isConnected)   // not heard: the silence still leads to a reconnection
        h.advance(to: 3.5)   // expired at 2, reconnected after the 1 s backoff
        #expect(h.times(of: isConnect) == [0, 3])
        #expect(refusals(h.at(3.6, .handshakeRefused(status: 400))).count == 1)
    }
}
