import Foundation
import HypergridFiles
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

/// One kind of file the results store keeps, as the conformance suite drives it: write
/// "version n" of its contents, read back which version a reader sees, and leave what a
/// crash in the middle of writing version n would leave. A new store kind (the model store)
/// joins the suite by adding one value to ``all``.
struct StoreKind: Sendable, CustomTestStringConvertible {
    let name: String
    /// Writes version `version` (≥ 1) into `directory`, as the store's writer does.
    let write: @Sendable (_ directory: String, _ version: Int) throws -> Void
    /// The version a reader sees now (nil when nothing was written); throws if it sees a
    /// damaged file, which the contract forbids.
    let read: @Sendable (_ directory: String) throws -> Int?
    /// What a writer killed in the middle of writing `version` leaves behind.
    let crashWhileWriting: @Sendable (_ directory: String, _ version: Int) throws -> Void

    var testDescription: String { name }

    static let all: [StoreKind] = [journal, leaderboard, checkpoints, models]

    /// The journal: version n is n records; a crash leaves half of the next line.
    static let journal = StoreKind(
        name: "journal",
        write: { directory, version in
            let journal = try Journal(directory: directory)
            defer { journal.close() }
            let have = journal.replay.entries.count
            try journal.append(contentsOf: (have..<version).map(record), time: 1)
        },
        read: { directory in
            let file = (directory as NSString).appendingPathComponent(Journal.fileName)
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            return try Journal.read(directory).entries.count
        },
        crashWhileWriting: { directory, version in
            var line: [UInt8] = []
            try JournalLineEncoder.encode(JournalEntry(time: 1, record: record(version - 1)), into: &line)
            let handle = try #require(FileHandle(forWritingAtPath: (directory as NSString).appendingPathComponent(Journal.fileName)))
            handle.seekToEndOfFile()
            handle.write(Data(line.prefix(line.count / 2)))
            try handle.close()
        })

    /// The leaderboard file: version n has 40·n rows, rewritten whole each time.
    static let leaderboard = StoreKind(
        name: "leaderboard file",
        write: { directory, version in
            var board = Leaderboard()
            for i in 0..<(40 * version) { board.add(record(i)) }
            try board.write(toDirectory: directory)
        },
        read: { directory in
            let file = (directory as NSString).appendingPathComponent(Leaderboard.fileName)
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            let rows = try Leaderboard.load(file).count
            guard rows % 40 == 0 else { throw ConformanceFailure("a leaderboard of \(rows) rows is no version") }
            return rows / 40
        },
        crashWhileWriting: { directory, version in
            var board = Leaderboard()
            for i in 0..<(40 * version) { board.add(record(i)) }
            let bytes = Array(Leaderboard.csv(board.rows).utf8)
            try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: temporaryName(directory, Leaderboard.fileName)))
        })

    /// The checkpoint store: version n is a 300 kB blob of the byte n, under one trial.
    static let checkpoints = StoreKind(
        name: "checkpoint store",
        write: { directory, version in
            try CheckpointStore(runDirectory: directory).save(blob(version), for: checkpointTrial)
        },
        read: { directory in
            guard let bytes = CheckpointStore(runDirectory: directory).load(checkpointTrial) else { return nil }
            guard bytes.count == blobSize, let first = bytes.first, bytes.allSatisfy({ $0 == first }) else {
                throw ConformanceFailure("a checkpoint of \(bytes.count) mixed bytes is no version")
            }
            return Int(first)
        },
        crashWhileWriting: { directory, version in
            let store = CheckpointStore(runDirectory: directory)
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            let name = (store.path(checkpointTrial) as NSString).lastPathComponent
            try Data(blob(version).prefix(blobSize / 2)).write(to: URL(fileURLWithPath: temporaryName(store.directory, name)))
        })

    /// The model store: version n is a 300 kB model of the byte n, of one trial whose metric
    /// rises with each version (so each write keeps it).
    static let models = StoreKind(
        name: "model store",
        write: { directory, version in
            let rank = ModelStore.Ranked(metric: Double(version), isRefit: false)
            let store = ModelStore(runDirectory: directory, keep: 1) { _ in rank }
            try store.offer(blob(version), for: checkpointTrial, rank: rank)
        },
        read: { directory in
            // The path alone: a store opened here would tidy the folder, which a reader never does.
            let path = (directory as NSString).appendingPathComponent("models/\(checkpointTrial.hex).hgmodel")
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard data.count == blobSize, let first = data.first, data.allSatisfy({ $0 == first }) else {
                throw ConformanceFailure("a model of \(data.count) mixed bytes is no version")
            }
            return Int(first)
        },
        crashWhileWriting: { directory, version in
            let folder = (directory as NSString).appendingPathComponent("models")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(blob(version).prefix(blobSize / 2))
                .write(to: URL(fileURLWithPath: temporaryName(folder, "\(checkpointTrial.hex).hgmodel")))
        })

    static let blobSize = 300_000
    static let checkpointTrial = trial(7, cost: 1).id
    static func blob(_ version: Int) -> [UInt8] { [UInt8](repeating: UInt8(version), count: blobSize) }

    /// A result record of its own trial (and grid point) for each `i`.
    static func record(_ i: Int) -> JournalRecord {
        let planned = trial(UInt64(i), cost: 1, point: i, hidden: [i + 1])
        return .trialResult(TrialResultRecord(trial: planned, attempt: 1, worker: "w",
                                              outcome: outcome(0.5, wall: 1)))
    }

    /// A temporary file as ``DurableFile`` names them (`.NAME.PID.RANDOM.tmp`).
    static func temporaryName(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(".\(name).\(getpid()).12345.tmp")
    }
}

struct ConformanceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The storage contract of docs/results-store.md, checked for every kind of store.
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.all)
    func whatIsWrittenIsReadBack(_ kind: StoreKind) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(try kind.read(dir.path) == nil)
        for version in 1...3 {
            try kind.write(dir.path, version)
            #expect(try kind.read(dir.path) == version)
        }
    }

    /// Durable when the write returns: nothing is left to finish (no temporary file), and a
    /// reader with a descriptor of its own sees the new version.
    @Test(arguments: StoreKind.all)
    func aReturnedWriteLeavesNoTemporaryFiles(_ kind: StoreKind) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try kind.write(dir.path, 1)
        try kind.write(dir.path, 2)
        let leftovers = FileManager.default.enumerator(atPath: dir.path)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(try kind.read(dir.path) == 2)
    }

    /// A crash in the middle of a write (a torn journal line, a half temporary file) leaves
    /// the last complete version readable, and the next write proceeds.
    @Test(arguments: StoreKind.all)
    func aCrashMidWriteLeavesTheLastCompleteVersion(_ kind: StoreKind) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try kind.write(dir.path, 1)
        try kind.crashWhileWriting(dir.path, 2)
        #expect(try kind.read(dir.path) == 1)
        try kind.write(dir.path, 3)
        #expect(try kind.read(dir.path) == 3)
    }

    /// A reader polling while the writer works (as `hypergrid leaderboard` and the report do
    /// during a run) never sees half a write, and never an older version after a newer one.
    @Test(arguments: StoreKind.all)
    func aConcurrentReaderNeverSeesHalfAWrite(_ kind: StoreKind) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path
        let last = 12
        let done = DoneFlag()
        let writer = Thread {
            defer { done.set() }
            do { for version in 1...last { try kind.write(path, version) } } catch { done.fail("\(error)") }
        }
        writer.start()
        var seen: [Int] = []
        var problems: [String] = []
        while true {
            let finished = done.isSet
            do {
                if let version = try kind.read(path) { seen.append(version) }
            } catch {
                problems.append("\(error)")
            }
            if finished { break }
        }
        #expect(done.failure == nil)
        #expect(problems.isEmpty, "a reader saw a damaged file: \(problems.prefix(3))")
        #expect(seen == seen.sorted(), "a reader saw an older version after a newer one")
        #expect(seen.last == last)
    }

    /// The journal's ordering: a record is on disk (fsync'd) before `append` returns, which
    /// is what lets the coordinator acknowledge a result to its worker after it.
    @Test func theJournalSyncsBeforeAppendReturns() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        defer { journal.close() }
        var synced: [Int] = []
        journal.afterSync = { records in
            // Called right after fsync, before append returns: a reader sees them already.
            synced.append(records.count)
            let visible = try Journal.read(dir.path).entries.count
            #expect(visible == synced.reduce(0, +))
        }
        try journal.append(StoreKind.record(0))
        #expect(synced == [1])
        try journal.append(contentsOf: [StoreKind.record(1), StoreKind.record(2)])
        #expect(synced == [1, 2])
    }

    /// A failed fsync is never retried into a success: the write throws and the file keeps
    /// its old contents (the durable-file routine every replace store uses).
    @Test func aFailedReplaceKeepsTheOldFile() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("f")
        try DurableFile.replace(file, with: Array("old".utf8))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try DurableFile.replace(file) { fd in
                _ = write(fd, "ne", 2)
                throw Interrupted()
            }
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "old")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}

/// Set once by the writer thread when it is done (and why it failed, if it did).
private final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var why: String?

    var isSet: Bool { lock.withLock { value } }
    var failure: String? { lock.withLock { why } }
    func set() { lock.withLock { value = true } }
    func fail(_ reason: String) { lock.withLock { why = reason } }
}
