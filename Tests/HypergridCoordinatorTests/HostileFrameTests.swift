import Foundation
import HypergridProtocol
import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Logging
import Testing
import ZeroMQ
@testable import HypergridCoordinator

/// Log lines kept for the test to read.
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

private struct CapturingLogHandler: LogHandler {
    let sink: LogLines
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        sink.add("\(event.level): \(event.message)")
    }
}

/// Frames a hostile or broken peer might send to a real ``CoordinatorServer`` over TCP:
/// each is dropped or refused and logged with the peer, none is recorded, none stops the
/// server from serving an honest worker.
@Suite(.serialized) struct HostileFrameTests {
    private func dealer(_ context: Context, _ endpoint: String) throws -> Socket {
        let socket = try Socket(context, type: .dealer)
        try socket.set(.linger, 0)
        try socket.connect(endpoint)
        return socket
    }

    /// The next message other than a heartbeat, or nil after `milliseconds`.
    private func receive(_ socket: Socket, within milliseconds: Int) throws -> Message? {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while let frames = try socket.receive(timeoutMilliseconds: max(0, Int(deadline.timeIntervalSinceNow * 1000))) {
            let message = try Message(decoding: frames[0])
            if message != .heartbeat { return message }
        }
        return nil
    }

    @Test func hostileFramesAreLoggedWithThePeerAndNeverRecorded() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let a = trial(1, cost: 2), b = trial(2, cost: 1)
        let offer = DatasetOffer(spec: DatasetSpec(kind: .synthetic), fingerprint: "fixture",
                                 shape: DatasetShape(features: 4, classes: 2, trainRows: 100), cacheFile: nil)
        let logs = LogLines()
        let server = try CoordinatorServer(plan: [a, b], offer: offer,
                                           options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: dir.path),
                                           logger: Logger(label: "test") { _ in CapturingLogHandler(sink: logs) })
        server.perform(server.scheduler.handle(.start, at: server.now))
        func pump(until done: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(10)
            repeat {
                _ = try Socket.pollReadable([server.socket], timeoutMilliseconds: 50)
                server.drainSocket()
                server.commitJournal()
            } while !done() && Date() < deadline
        }

        let context = try Context()
        let honest = try dealer(context, server.endpoint), evil = try dealer(context, server.endpoint)
        try honest.send(try Message.ready(HypergridProtocol.WorkerHello(workerName: "honest", cpuFeatures: "", threadCount: 1)).encoded())
        try pump { server.scheduler.status.running == 1 }
        try evil.send(try Message.ready(HypergridProtocol.WorkerHello(workerName: "evil\n12:00 all done\u{1B}[2J", cpuFeatures: "", threadCount: 1)).encoded())
        try pump { server.scheduler.status.running == 2 }
        guard case .assign(let honestJob)? = try receive(honest, within: 5000),
              case .assign(let evilJob)? = try receive(evil, within: 5000) else {
            Issue.record("no assignments: \(logs.all)"); return
        }
        #expect(honestJob.trialID == a.id && evilJob.trialID == b.id)

        let result = outcome(0.9)
        let before = logs.all.count
        // Results for a trial it was not given, or for an attempt it was not given.
        for report in [TrialReport(trialID: a.id, attempt: 1, token: evilJob.token, outcome: result),
                       TrialReport(trialID: a.id, attempt: 1, token: [], outcome: result),
                       TrialReport(trialID: b.id, attempt: 2, token: evilJob.token, outcome: result)] {
            try evil.send(try Message.result(report).encoded())
        }
        let header: [UInt8] = [0x48, 0x47, UInt8(WireFormat.version >> 8), UInt8(WireFormat.version & 0xFF)]
        var frames: [[UInt8]] = [
            [0x48, 0x47, 0x00, 0x63, 0x03],                      // protocol 99
            header + [0x3F],                                     // unknown type
            Array(try Message.result(TrialReport(answering: evilJob, outcome: result)).encoded().prefix(40)),  // truncated
            header + [0x01, 0xFF, 0xFF, 0xFF, 0xFF],             // a 4 GiB name
            try Message.assign(evilJob).encoded(),               // only coordinators send it
        ]
        frames.append(Array(frames[4].dropLast()) + [9])        // a bad presence byte at the end (the checkpoint's)
        var pca = frames[4]
        pca[pca.count - 3] = 9                                   // the dataset's last presence byte
        frames.append(pca)
        for frame in frames { try evil.send(frame) }
        try evil.send([[1], [2]])                                // two frames
        let expected = 3 + frames.count + 1
        try pump { logs.all.count >= before + expected + 1 }     // + the log line of the assignment
        let lines = Array(logs.all[before...])
        let who = "worker evil\u{FFFD}12:00 all done\u{FFFD}[2J"
        let rejected = lines.filter { $0.hasPrefix("warning: rejected a result for trial ") }
        #expect(rejected.count == 3, "\(lines)")
        #expect(rejected.allSatisfy { $0.contains("from \(who) (0x") && $0.contains(") at 127.0.0.1: it lacks the token") }, "\(rejected)")
        #expect(lines.contains { $0.hasPrefix("warning: refused \(who)") && $0.hasSuffix("speaks protocol 99, this coordinator speaks \(WireFormat.version)") }, "\(lines)")
        for text in ["Message type 0x3f is not defined by hypergrid protocol \(WireFormat.version).", "The frame ends inside field", "Field ready.numericsVersion declares 4294967295 bytes",
                     "Field assign.checkpoint is invalid", "Field dataset.pcaVariance is invalid"] {
            #expect(lines.contains { $0.contains("dropped a malformed frame from \(who)") && $0.contains(text) }, "\(text): \(lines)")
        }
        #expect(lines.contains { $0.contains("dropped assign from \(who)") && $0.hasSuffix("only a coordinator sends it") }, "\(lines)")
        #expect(lines.contains { $0.contains("dropped a message of 3 frames from \(who)") }, "\(lines)")
        #expect(!lines.joined().contains("\n"))
        #expect(try Journal.read(dir.path).results.isEmpty)
        // The forged results were acknowledged (so that a sender stops resending); the refusal came too.
        var heard: [Message] = []
        while let message = try receive(evil, within: 300) { heard.append(message) }
        #expect(heard.filter { if case .ack = $0 { return true } else { return false } }.count == 3, "\(heard)")

        // Its own trial with numbers no trainer makes: recorded as a failure, not believed.
        var impossible = outcome(7)
        impossible.metrics.reason = "fine\u{7}"
        try evil.send(try Message.result(TrialReport(answering: evilJob, outcome: impossible)).encoded())
        try honest.send(try Message.result(TrialReport(answering: honestJob, outcome: outcome(0.5))).encoded())
        try pump { server.scheduler.status.finished == 2 }
        let replay = try Journal.read(dir.path)
        #expect(replay.results[a.id]?.worker == "honest" && replay.results[a.id]?.metrics.validationAccuracy == 0.5)
        #expect(replay.results[b.id]?.metrics.status == .failed)
        #expect(replay.results[b.id]?.metrics.reason == "the worker's result was rejected: its validation accuracy 7.0 is not a fraction in [0, 1]")
        #expect(replay.results[b.id]?.metrics.validationAccuracy == nil)
    }
}
