import Foundation
import HypergridProtocol
import HypergridSearchSpace
import Testing
@testable import HypergridWorker
import HypergridTestSupport

@Suite struct PendingResultStoreTests {
    @Test func savedResultsLoadBitForBitAndRemoveDeletesThem() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = PendingResultStore(cacheDirectory: dir.url)
        var odd = report(2)
        odd.outcome.history.loss = [.nan, -0.0, .infinity, 1.5]
        odd.outcome.metrics.reason = "naïve ✓"
        try store.save(report(1))
        try store.save(odd)
        #expect(store.fileURL(trialID(1)).path.hasPrefix(dir.url.appendingPathComponent("pending-results").path))

        let (loaded, problems) = store.loadAll()
        #expect(problems.isEmpty)
        #expect(loaded.map(\.trialID) == [trialID(1), trialID(2)])
        #expect(loaded[1].outcome.history.loss.map(\.bitPattern) == odd.outcome.history.loss.map(\.bitPattern))
        #expect(loaded[1].outcome.metrics.reason == "naïve ✓")

        store.remove(trialID(1))
        store.remove(trialID(1))   // already gone: fine
        #expect(store.loadAll().reports.map(\.trialID) == [trialID(2)])
    }

    @Test func aMissingDirectoryHoldsNothing() {
        let store = PendingResultStore(directory: URL(fileURLWithPath: "/nonexistent/hypergrid/pending"))
        let (reports, problems) = store.loadAll()
        #expect(reports.isEmpty && problems.isEmpty)
    }

    @Test func aCorruptFileIsReportedOnceAndSetAside() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = PendingResultStore(cacheDirectory: dir.url)
        try store.save(report(1))
        var bytes = try [UInt8](Data(contentsOf: store.fileURL(trialID(1))))
        bytes.removeLast(3)
        try Data(bytes).write(to: store.fileURL(trialID(1)))

        let first = store.loadAll()
        #expect(first.reports.isEmpty)
        #expect(first.problems.count == 1 && first.problems[0].contains("corrupt"))
        #expect(FileManager.default.fileExists(atPath: store.fileURL(trialID(1)).path + ".corrupt"))
        #expect(store.loadAll().problems.isEmpty)
    }

    @Test func aFileOfAnotherProtocolVersionIsLeftAlone() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = PendingResultStore(cacheDirectory: dir.url)
        try store.save(report(1))
        let url = store.fileURL(trialID(1))
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[3] = UInt8(truncatingIfNeeded: WireFormat.version + 1)
        try Data(bytes).write(to: url)

        let (reports, problems) = store.loadAll()
        #expect(reports.isEmpty)
        #expect(problems.count == 1 && problems[0].contains("another protocol version"))
        #expect(FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aFileNamedForAnotherTrialIsNotTrusted() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = PendingResultStore(cacheDirectory: dir.url)
        try store.save(report(1))
        try FileManager.default.moveItem(at: store.fileURL(trialID(1)), to: store.fileURL(trialID(9)))
        let (reports, problems) = store.loadAll()
        #expect(reports.isEmpty && problems.count == 1)
    }
}

@Suite struct WorkerEndpointTests {
    @Test(arguments: ["tcp://127.0.0.1:5555", "tcp://coordinator.example:1", "tcp://[::1]:65535", "ipc:///tmp/hg.sock"])
    func acceptsEndpointsAWorkerCanConnectTo(_ endpoint: String) throws {
        try WorkerEndpoint.validate(endpoint)
    }

    @Test(arguments: [("garbage", "form"), ("tcp://127.0.0.1", "form"), ("tcp://127.0.0.1:99999", "port"),
                      ("tcp://127.0.0.1:0", "port"), ("tcp://:5555", "host is empty"), ("tcp://*:5555", "binding"),
                      ("udp://h:1", "only tcp"), ("ipc://", "empty"), ("tcp://h:55a", "port")])
    func refusesMalformedEndpointsInOneSentence(_ endpoint: String, _ why: String) {
        let error = #expect(throws: WorkerError.self) { try WorkerEndpoint.validate(endpoint) }
        guard case .invalidEndpoint(endpoint, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(reason.contains(why))
        #expect(error!.description.hasSuffix(".") && !error!.description.contains("\n"))
        #expect(error!.exitCode == 2)
    }

    @Test func anUnresolvableHostFailsAtOnce() {
        let error = #expect(throws: WorkerError.self) { try WorkerEndpoint.resolve("tcp://no-such-host.invalid:5555") }
        guard case .unresolvableHost(_, "no-such-host.invalid", _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
    }

    @Test func errorsReadAsOneSentence() {
        let refused = WorkerError.refused(address: "tcp://h:1", reason: "numerics a differ from b")
        #expect(refused.description == "The coordinator at tcp://h:1 refused this worker: numerics a differ from b.")
        #expect(refused.exitCode == 3)
        let mismatch = WorkerError.versionMismatch(address: "tcp://h:1", coordinator: 2, worker: 1, refusal: nil)
        #expect(mismatch.description == "The coordinator at tcp://h:1 speaks protocol 2, this worker speaks 1.")
        #expect(WorkerError.unreachable(address: "tcp://h:1", seconds: 300, everHeard: false).description
                == "No coordinator answered at tcp://h:1 in 300 s; is it running and reachable from here?")
    }

    @Test func cpuFlagsComeFromTheFlagsLine() {
        let text = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2 avx512f avx512bw\nbugs\t\t: spectre\n"
        #expect(HostInfo.cpuFlags(fromCPUInfo: text) == ["avx2", "fma", "avx512f"])
        #expect(HostInfo.cpuFlags(fromCPUInfo: "flags : sse2 fma\n") == ["fma"])
        #expect(HostInfo.cpuFlags(fromCPUInfo: "") == [])
    }
}
