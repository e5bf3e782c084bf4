import Foundation
import HypergridFiles
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

private func resultRecord(_ seed: UInt64, accuracy: Double, historyLength: Int = 3) -> JournalRecord {
    var o = outcome(accuracy)
    o.history.loss = (0..<historyLength).map { Float($0) * 0.25 }
    return .trialResult(TrialResultRecord(trial: trial(seed, cost: 2), attempt: 1, worker: "w,\"1\"", outcome: o))
}

private func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
}

// Serialized: the tmpfs tests start mount(8) processes, and a child holds copies of the
// parent's descriptors from fork to exec, flock()s included, so a lock test running
// meanwhile would see its own closed journal as still locked.
@Suite(.serialized) struct JournalTests {
    @Test func appendAndReplayRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let started = JournalRecord.runStarted(RunStartedRecord(planDigest: String(repeating: "a", count: 64), trials: 3, skipped: 0))
        // A diverged trial: non-finite numbers must survive the JSON round trip.
        var diverged = outcome(nil, status: .diverged, loss: .infinity)
        diverged.history.loss = [2.3, .nan, .infinity]
        let divergedRecord = JournalRecord.trialResult(
            TrialResultRecord(trial: trial(2, cost: 1), attempt: 2, worker: "beta", outcome: diverged))
        let failed = JournalRecord.trialFailed(TrialFailedRecord(trial: trial(3, cost: 1), attempts: 3, reason: "worker x went silent 3 times"))
        let records = [started, resultRecord(1, accuracy: 0.51), divergedRecord, failed]
        do {
            let journal = try Journal(directory: dir.path)
            #expect(journal.replay.entries.isEmpty)
            for (i, record) in records.enumerated() { try journal.append(record, time: 1000 + Double(i)) }
        }
        let text = try String(contentsOfFile: dir.file(Journal.fileName), encoding: .utf8)
        #expect(text.split(separator: "\n").count == 4 && text.hasSuffix("\n"))
        #expect(text.contains("\"type\":\"result\"") && text.contains("\"NaN\""))

        let replay = try Journal(directory: dir.path).replay
        #expect(replay.entries.map(\.time) == [1000, 1001, 1002, 1003])
        #expect(replay.entries.count == 4)
        #expect(replay.entries[0].record == started && replay.entries[3].record == failed)
        guard case .trialResult(let back) = replay.entries[2].record else { Issue.record("not a result"); return }
        #expect(back.metrics.finalLoss == .infinity && back.history.loss[1].isNaN && back.history.loss[2] == .infinity)
        #expect(replay.finished == [trial(1, cost: 0).id, trial(2, cost: 0).id, trial(3, cost: 0).id])
        #expect(replay.results.count == 2 && replay.failures.count == 1 && replay.tornTail == nil)
        #expect(try Journal.read(dir.path).entries.count == 4)
    }

    @Test func firstRecordOfATrialWins() throws {
        let bytes = try [resultRecord(1, accuracy: 0.3), resultRecord(1, accuracy: 0.9)].map {
            try JournalJSON.encoder().encode(JournalEntry(time: nil, record: $0)) + Data("\n".utf8)
        }.reduce(Data(), +)
        let replay = try JournalReplay(bytes: Array(bytes), path: "j")
        #expect(replay.duplicates == 1 && replay.results.first?.value.metrics.validationAccuracy == 0.3)
    }

    @Test func tornTailIsDroppedAndTruncated() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(Journal.fileName)
        do {
            let journal = try Journal(directory: dir.path)
            try journal.append(resultRecord(1, accuracy: 0.4))
            try journal.append(resultRecord(2, accuracy: 0.5))
        }
        let complete = fileSize(path)
        // Half of a third line, as SIGKILL in the middle of write(2) would leave it.
        let line = try JournalJSON.encoder().encode(JournalEntry(time: 1, record: resultRecord(3, accuracy: 0.6)))
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(line.prefix(line.count / 2))
        handle.closeFile()

        // Reading while a run is in progress must not modify the file.
        let peek = try Journal.read(dir.path)
        #expect(peek.tornTail == JournalReplay.TornTail(line: 3, offset: complete, length: line.count / 2))
        #expect(peek.entries.count == 2 && fileSize(path) == complete + line.count / 2)

        let journal = try Journal(directory: dir.path)
        #expect(journal.replay.tornTail?.line == 3)
        #expect(journal.replay.finished.count == 2 && !journal.replay.finished.contains(trial(3, cost: 0).id))
        #expect(fileSize(path) == complete)
        try journal.append(resultRecord(3, accuracy: 0.6))
        journal.close()
        let again = try Journal.read(path)
        #expect(again.tornTail == nil && again.entries.count == 3)
    }

    @Test func invalidLastLineWithNewlineCountsAsTorn() throws {
        // After a power loss a file can end in zeros that the data never reached.
        let good = try JournalJSON.encoder().encode(JournalEntry(time: 1, record: resultRecord(1, accuracy: 0.4)))
        let bytes = Array(good) + [0x0A] + [UInt8](repeating: 0, count: 7) + [0x0A]
        let replay = try JournalReplay(bytes: bytes, path: "j")
        #expect(replay.entries.count == 1 && replay.tornTail?.line == 2 && replay.validLength == good.count + 1)
    }

    @Test func corruptMiddleLineNamesFileAndLine() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(Journal.fileName)
        let good = try JournalJSON.encoder().encode(JournalEntry(time: 1, record: resultRecord(1, accuracy: 0.4)))
        let bytes = good + Data("\n{\"type\":\"result\",\"trial\":\"nope\"}\n".utf8) + good + Data("\n".utf8)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try Journal(directory: dir.path)
        } throws: { error in
            guard case JournalError.corruptLine(let p, let line, _) = error else { return false }
            return p == path && line == 2 && "\(error)".contains("journal.jsonl:2:")
        }
        // The damaged file is left alone for a person to look at.
        #expect(fileSize(path) == bytes.count)
    }

    @Test func secondCoordinatorIsLockedOut() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let first = try Journal(directory: dir.path)
        #expect(throws: JournalError.locked(path: dir.file(Journal.fileName))) { _ = try Journal(directory: dir.path) }
        first.close()
        _ = try Journal(directory: dir.path)
    }

    @Test func diskFullThrowsAClearError() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // /dev/full fails every write with ENOSPC.
        try FileManager.default.createSymbolicLink(atPath: dir.file(Journal.fileName), withDestinationPath: "/dev/full")
        let journal = try Journal(directory: dir.path)
        #expect {
            try journal.append(resultRecord(1, accuracy: 0.4))
        } throws: { error in
            guard case JournalError.io(let io) = error else { return false }
            return io.isOutOfSpace && "\(error)".contains("No space left on device") && "\(error)".contains(Journal.fileName)
        }
    }

    @Test func fsyncFailureMakesTheJournalUnusable() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // /dev/null accepts the write but cannot fsync (EINVAL): after a failed fsync the
        // data's fate is unknown, so the journal refuses further appends.
        try FileManager.default.createSymbolicLink(atPath: dir.file(Journal.fileName), withDestinationPath: "/dev/null")
        let journal = try Journal(directory: dir.path)
        #expect {
            try journal.append(resultRecord(1, accuracy: 0.4))
        } throws: { error in
            guard case JournalError.io(let io) = error else { return false }
            return io.operation == "fsync" && io.errno == EINVAL
        }
        #expect {
            try journal.append(resultRecord(2, accuracy: 0.4))
        } throws: { error in
            if case JournalError.unusable = error { return true } else { return false }
        }
    }

    @Test func uncreatableDirectoryThrows() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(FileManager.default.createFile(atPath: dir.file("plain"), contents: Data()))
        #expect(throws: JournalError.io(FileSystemError(path: dir.file("plain/run"), operation: "create directory",
                                                        errno: ENOTDIR))) {
            _ = try Journal(directory: dir.file("plain/run"))
        }
    }

    @Test(.enabled(if: TinyFileSystem.available, "needs root to mount a tmpfs"))
    func fullDiskLeavesNoPartialLine() throws {
        guard let fs = TinyFileSystem.mount(size: "16k") else { Issue.record("mount failed"); return }
        defer { TinyFileSystem.unmount(fs) }
        let journal = try Journal(directory: fs.path)
        let record = { (i: Int) in resultRecord(UInt64(i), accuracy: 0.5, historyLength: 400) }
        let lineLength = try JournalJSON.encoder().encode(JournalEntry(time: 1, record: record(0))).count + 1
        #expect(16384 % lineLength != 0, "the last append must straddle the end of the space")
        var appended = 0
        var failure: Error?
        for i in 0..<100 {
            do { try journal.append(record(i), time: 1); appended += 1 } catch { failure = error; break }
        }
        guard case JournalError.io(let io)? = failure else { Issue.record("no ENOSPC: \(String(describing: failure))"); return }
        #expect(io.isOutOfSpace && appended > 0)
        // The short write was cut off: no torn line, only whole records.
        let replay = try Journal.read(fs.path)
        #expect(replay.tornTail == nil && replay.entries.count == appended)
        #expect(fileSize(fs.file(Journal.fileName)) == appended * lineLength)
        // Once there is room again the same journal carries on.
        #expect(TinyFileSystem.remount(fs, options: "size=64k"))
        try journal.append(record(1000), time: 1)
        #expect(try Journal.read(fs.path).entries.count == appended + 1)
    }

    @Test func groupAppendWritesEveryRecordWithOneFsync() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let records = (1...5).map { resultRecord(UInt64($0), accuracy: Double($0) / 10) }
        var syncs: [[JournalRecord]] = []
        do {
            let journal = try Journal(directory: dir.path)
            journal.afterSync = { syncs.append($0) }
            try journal.append(contentsOf: Array(records.prefix(3)), time: 7)
            try journal.append(contentsOf: [], time: 7)
            try journal.append(contentsOf: Array(records.suffix(2)), time: 8)
        }
        #expect(syncs == [Array(records.prefix(3)), Array(records.suffix(2))])
        let replay = try Journal.read(dir.path)
        #expect(replay.entries.map(\.record) == records && replay.entries.map(\.time) == [7, 7, 7, 8, 8])
    }

    @Test(.enabled(if: TinyFileSystem.available, "needs root to mount a tmpfs"))
    func fullDiskFailsAWholeBatch() throws {
        guard let fs = TinyFileSystem.mount(size: "16k") else { Issue.record("mount failed"); return }
        defer { TinyFileSystem.unmount(fs) }
        let journal = try Journal(directory: fs.path)
        let record = { (i: Int) in resultRecord(UInt64(i), accuracy: 0.5, historyLength: 100) }
        try journal.append(contentsOf: (0..<3).map(record), time: 1)
        let size = fileSize(fs.file(Journal.fileName))
        // Far more than the space left: the write stops part way through the batch.
        #expect(throws: JournalError.self) { try journal.append(contentsOf: (3..<40).map(record), time: 1) }
        #expect(fileSize(fs.file(Journal.fileName)) == size)
        let replay = try Journal.read(fs.path)
        #expect(replay.tornTail == nil && replay.entries.count == 3)
    }

    @Test(.enabled(if: TinyFileSystem.available, "needs root to mount a tmpfs"))
    func readOnlyFileSystemThrowsAndStillReads() throws {
        guard let fs = TinyFileSystem.mount(size: "64k") else { Issue.record("mount failed"); return }
        defer { TinyFileSystem.unmount(fs) }
        do {
            let journal = try Journal(directory: fs.path)
            try journal.append(resultRecord(1, accuracy: 0.4))
        }
        #expect(TinyFileSystem.remount(fs, options: "ro"))
        #expect {
            _ = try Journal(directory: fs.path)
        } throws: { error in
            guard case JournalError.io(let io) = error else { return false }
            return io.errno == EROFS && "\(error)".contains("Read-only file system")
        }
        #expect(try Journal.read(fs.path).entries.count == 1)
    }
}

@Suite struct PlanDigestTests {
    @Test func dependsOnTheSetOfTrialsOnly() {
        let a = trial(1, cost: 1), b = trial(2, cost: 2), c = trial(3, cost: 3)
        let digest = PlanDigest.of([a, b])
        #expect(digest.count == 64 && digest.allSatisfy { $0.isHexDigit })
        #expect(PlanDigest.of([b, a, a]) == digest)
        #expect(PlanDigest.of([a, c]) != digest && PlanDigest.of([a]) != digest)
    }
}
