import Foundation
import HypergridFiles
import HypergridProtocol
import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Logging
import Testing
import ZeroMQ
@testable import HypergridCoordinator

/// A worker on a real DEALER socket, driven by the test.
private final class TestWorker {
    let socket: Socket
    let name: String

    init(_ context: Context, endpoint: String, name: String) throws {
        socket = try Socket(context, type: .dealer)
        try socket.connect(endpoint)
        self.name = name
        try send(.ready(HypergridProtocol.WorkerHello(workerName: name, cpuFeatures: "test", threadCount: 1)))
    }

    func send(_ message: Message) throws { try socket.send([try message.encoded()]) }

    /// The next message other than a heartbeat, or nil after `milliseconds`.
    func receive(within milliseconds: Int) throws -> Message? {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while true {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            guard let frames = try socket.receive(timeoutMilliseconds: max(left, 0)) else { return nil }
            let message = try Message(decoding: frames[0])
            if message != .heartbeat { return message }
        }
    }
}

/// A value shared between the coordinator's thread and the test's.
private final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func with<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}

/// The socket loop with real sockets, journal and leaderboard: when acknowledgements go
/// out relative to fsyncs, and what is on disk when `run()` returns.
@Suite(.serialized) struct CoordinatorServerTests {
    /// A server of `count` trials, each its own grid point (a leaderboard row apiece).
    private static func server(in dir: TemporaryDirectory, trials count: Int) throws -> CoordinatorServer {
        let plan = (0..<count).map { (i: Int) -> PlannedTrial in
            let cost = Double(i % 3 + 1)
            return trial(UInt64(i), cost: cost, learningRate: 0.001 * Double(i + 1))
        }
        let offer = DatasetOffer(spec: DatasetSpec(kind: .synthetic), fingerprint: "fixture",
                                 shape: DatasetShape(features: 4, classes: 2, trainRows: 100), cacheFile: nil)
        return try CoordinatorServer(plan: plan, offer: offer,
                                     options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: dir.path),
                                     logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Runs `server.run()` on its own thread; the returned closure waits for its summary and
    /// rethrows the error `run()` threw, so that a failing server fails the test saying why.
    private static func start(_ server: CoordinatorServer,
                              shouldStop: @escaping () -> Bool = { false }) -> () throws -> RunSummary {
        let box = Shared<CoordinatorServer?>(server)
        let result = Shared<Result<RunSummary, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let outcome = Result { try box.with { $0 }!.run(shouldStop: shouldStop) }
            result.with { $0 = outcome }
            box.with { $0 = nil }
            done.signal()
        }.start()
        return {
            guard done.wait(timeout: .now() + 60) == .success else { throw ServerStillRunning() }
            return try result.with { $0 }!.get()
        }
    }

    private struct ServerStillRunning: Error, CustomStringConvertible {
        var description: String { "CoordinatorServer.run() had not returned 60 s after the test's workers finished" }
    }

    @Test func everyAcknowledgementFollowsTheFsyncOfItsRecord() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.server(in: dir, trials: 60)
        let durable = Shared(Set<TrialID>())
        server.journal.afterSync = { records in durable.with { $0.formUnion(records.compactMap(\.trialID)) } }
        let context = try Context()
        let workers = try (0..<4).map { try TestWorker(context, endpoint: server.endpoint, name: "w\($0)") }
        let wait = Self.start(server)

        var acks: [TrialID] = [], early: [TrialID] = [], stopped = Set<String>()
        let deadline = Date().addingTimeInterval(60)
        while stopped.count < workers.count, Date() < deadline {
            let ready = try Socket.pollReadable(workers.map(\.socket), timeoutMilliseconds: 100)
            for i in ready {
                guard let message = try workers[i].receive(within: 0) else { continue }
                switch message {
                case .assign(let a):
                    try workers[i].send(.result(TrialReport(answering: a,
                                                            outcome: outcome(Double(acks.count % 7) / 10))))
                case .ack(let id):
                    // The coordinator sent this ack, so the fsync covering its record must have returned.
                    if !durable.with({ $0.contains(id) }) { early.append(id) }
                    acks.append(id)
                case .shutdown:
                    try workers[i].send(.goodbye(abandoned: nil))
                    stopped.insert(workers[i].name)
                default:
                    break
                }
            }
        }
        let summary = try wait()
        #expect(summary.done == 60 && summary.haltReason == nil, "\(summary)")
        #expect(early.isEmpty, "acknowledged before their fsync: \(early.map(\.short))")
        #expect(acks.count == 60 && Set(acks).count == 60)

        // The run is normally over before the leaderboard's rewrite interval has passed;
        // then only the rewrite made as run() returns puts the results in the file.
        let replay = try Journal.read(dir.path)
        #expect(replay.results.count == 60 && replay.duplicates == 0)
        let rows = try Leaderboard.load(dir.file(Leaderboard.fileName))
        #expect(rows.count == 60)
        let matchesTheJournal = rows.map(\.trials) == Leaderboard(replay: replay).rows.map(\.trials)
        #expect(matchesTheJournal, "leaderboard.csv ranks differently from the journal")
    }

    @Test func resultsOfOneDrainShareOneFsyncAndNoAckPrecedesIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.server(in: dir, trials: 6)
        var syncs: [[TrialID]] = []
        server.journal.afterSync = { records in syncs.append(records.compactMap(\.trialID)) }
        let context = try Context()
        let workers = try (0..<3).map { try TestWorker(context, endpoint: server.endpoint, name: "w\($0)") }
        server.perform(server.scheduler.handle(.start, at: server.now))

        /// Drives the server's socket without committing, until `done` holds.
        func drain(until done: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(10)
            while !done(), Date() < deadline {
                _ = try Socket.pollReadable([server.socket], timeoutMilliseconds: 100)
                server.drainSocket()
            }
        }
        try drain { server.scheduler.status.running == 3 }
        var assigned: [TrialID] = []
        for worker in workers {
            guard case .assign(let a)? = try worker.receive(within: 5000) else { Issue.record("no assignment"); return }
            assigned.append(a.trialID)
            try worker.send(.result(TrialReport(answering: a, outcome: outcome(0.5))))
        }
        try drain { server.scheduler.status.recording == 3 }
        #expect(server.scheduler.status.recording == 3)
        #expect(syncs.isEmpty)
        // Each worker already holds its next trial (pipelining), but nothing is acknowledged.
        var pipelined = 0
        for worker in workers {
            while let message = try worker.receive(within: 50) {
                if case .assign = message { pipelined += 1 } else { Issue.record("\(worker.name) heard \(message.type.name) before the fsync") }
            }
        }
        #expect(pipelined == 3)
        #expect(try Journal.read(dir.path).results.isEmpty)

        server.commitJournal()
        #expect(syncs.count == 1 && Set(syncs.first ?? []) == Set(assigned))
        for (worker, id) in zip(workers, assigned) {
            #expect(try worker.receive(within: 5000) == .ack(id))
        }
        #expect(server.scheduler.status.finished == 3)
    }

    @Test func aStoppedRunLeavesTheLeaderboardComplete() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.server(in: dir, trials: 60)
        let context = try Context()
        let worker = try TestWorker(context, endpoint: server.endpoint, name: "w")
        let acks = Shared(0)
        let wait = Self.start(server, shouldStop: { acks.with { $0 } >= 5 })
        let deadline = Date().addingTimeInterval(60)
        // Ten results, then the worker is busy with its eleventh trial for good: pipelined, it
        // would otherwise finish all sixty before the first acknowledgements come back.
        var answered = 0
        while let message = try worker.receive(within: 500), Date() < deadline {
            if case .assign(let a) = message, answered < 10 {
                try worker.send(.result(TrialReport(answering: a, outcome: outcome(0.5))))
                answered += 1
            } else if case .ack = message {
                acks.with { $0 += 1 }
            }
        }
        let summary = try wait()
        #expect(summary.done >= 5 && summary.unfinished > 0, "\(summary)")
        let recorded = try Journal.read(dir.path).results.count
        #expect(recorded >= 5 && recorded <= 10)
        #expect(try Leaderboard.load(dir.file(Leaderboard.fileName)).count == recorded)
    }

    @Test func aFailedFsyncAcknowledgesNothingAndHalts() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let server = try Self.server(in: dir, trials: 10)
        server.journal.afterSync = { _ in
            throw FileSystemError(path: dir.file(Journal.fileName), operation: "fsync", errno: EIO)
        }
        let context = try Context()
        let workers = try (0..<2).map { try TestWorker(context, endpoint: server.endpoint, name: "w\($0)") }
        let wait = Self.start(server)

        var acks = 0, shutdowns = 0
        let deadline = Date().addingTimeInterval(60)
        while shutdowns < workers.count, Date() < deadline {
            for i in try Socket.pollReadable(workers.map(\.socket), timeoutMilliseconds: 100) {
                switch try workers[i].receive(within: 0) {
                case .assign(let a)?:
                    try workers[i].send(.result(TrialReport(answering: a, outcome: outcome(0.5))))
                case .ack?: acks += 1
                case .shutdown?: shutdowns += 1
                default: break
                }
            }
        }
        let summary = try wait()
        #expect(acks == 0)
        #expect(shutdowns == 2)
        #expect(summary.haltReason?.contains("journal") == true, "\(summary)")
        #expect(summary.done == 0)
    }

    /// A halving trial's checkpoint (and a model) is written on the journal committer's
    /// thread, not on the socket loop: while the disk holds it back, the loop still assigns
    /// and heartbeats (a loop silent for 4 s makes every worker reconnect and lose its
    /// trial), and the result is acknowledged only once the file is durable.
    @Test func aSlowCheckpointWriteHoldsOnlyItsOwnAck() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var halving = trial(1, cost: 2)
        halving.saveCheckpoint = true
        // The first worker gets the next of these as soon as its result arrives (pipelining);
        // the second worker the last.
        let others = [trial(2, cost: 1), trial(3, cost: 1)]
        let offer = DatasetOffer(spec: DatasetSpec(kind: .synthetic), fingerprint: "fixture",
                                 shape: DatasetShape(features: 4, classes: 2, trainRows: 100), cacheFile: nil)
        let server = try CoordinatorServer(plan: [halving] + others, offer: offer,
                                           options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: dir.path),
                                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        // The slow disk: the committer waits at the gate before it writes the files.
        let writing = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        server.resultFiles.beforeWriting = { writing.signal(); gate.wait() }
        let stop = Shared(false)
        let wait = Self.start(server, shouldStop: { stop.with { $0 } })
        defer { gate.signal(); stop.with { $0 = true }; _ = try? wait() }

        let context = try Context()
        let first = try TestWorker(context, endpoint: server.endpoint, name: "first")
        guard case .assign(let job)? = try first.receive(within: 5000) else {
            Issue.record("the first worker got no assignment")
            return
        }
        #expect(job.trialID == halving.id && job.saveCheckpoint)
        let blob = [UInt8](repeating: 7, count: 1 << 20)
        try first.send(.result(TrialReport(answering: job, outcome: outcome(0.5), checkpoint: blob)))
        #expect(writing.wait(timeout: .now() + 5) == .success, "the committer never started writing the checkpoint")

        // Meanwhile: a second worker is served, and the first hears heartbeats but no ack.
        let second = try TestWorker(context, endpoint: server.endpoint, name: "second")
        guard case .assign(let job2)? = try second.receive(within: 3000) else {
            Issue.record("no assignment while a checkpoint was being written: the loop was stalled")
            return
        }
        #expect(others.map(\.id).contains(job2.trialID))
        var heartbeats = 0, earlyAck = false
        let listenUntil = Date().addingTimeInterval(2.5)
        while let frames = try first.socket.receive(timeoutMilliseconds: max(0, Int(listenUntil.timeIntervalSinceNow * 1000))) {
            switch try Message(decoding: frames[0]) {
            case .heartbeat: heartbeats += 1
            case .ack: earlyAck = true
            default: break
            }
        }
        #expect(heartbeats >= 1, "the first worker heard no heartbeat while the checkpoint was being written")
        #expect(!earlyAck, "a result was acknowledged before its checkpoint was durable")
        #expect(!FileManager.default.fileExists(atPath: server.checkpoints.path(halving.id)))

        gate.signal()
        guard case .ack(let acked)? = try first.receive(within: 5000) else {
            Issue.record("no ack once the checkpoint was written")
            return
        }
        #expect(acked == halving.id)
        #expect(server.checkpoints.load(halving.id) == blob)
    }
}
