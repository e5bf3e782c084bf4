import Dispatch
import Foundation
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

/// A result record for grid point `point` (its hidden width), repeat `repetition`.
private func result(point: Int, repetition: Int = 0, accuracy: Double?, status: TrialStatus = .done,
                    worker: String = "w1", wall: Double = 10) -> JournalRecord {
    let planned = trial(UInt64(repetition), cost: 1, point: point, repetition: repetition, hidden: [point, 32])
    return .trialResult(TrialResultRecord(trial: planned, attempt: 1, worker: worker,
                                          outcome: outcome(accuracy, status: status, wall: wall,
                                                           train: accuracy.map { $0 + 0.1 }, test: accuracy)))
}

private func executableInPath(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}

private func board(_ records: [JournalRecord]) -> Leaderboard {
    var board = Leaderboard()
    for record in records { board.add(record) }
    return board
}

@Suite struct LeaderboardTests {
    @Test func bestValidationFirstThenTrialID() {
        let failed = JournalRecord.trialFailed(TrialFailedRecord(
            trial: trial(0, cost: 1, hidden: [9, 32]), attempts: 3, reason: "lost"))
        let rows = board([result(point: 1, accuracy: 0.5), result(point: 2, accuracy: 0.7), failed,
                          result(point: 3, accuracy: 0.5)]).rows
        #expect(rows.map(\.rank) == [1, 2, 3, 4])
        #expect(rows.map(\.config.hidden.first) == [2, rows[1].config.hidden.first, rows[2].config.hidden.first, 9])
        #expect(rows[1].validationAccuracy == 0.5 && rows[2].validationAccuracy == 0.5)
        #expect(rows[1].trials[0] < rows[2].trials[0])
        #expect(rows[3].status == .failed && rows[3].validationAccuracy == nil && rows[3].workers == "")
    }

    @Test func repeatsAggregateToMeanAndSampleStd() throws {
        let rows = board([
            result(point: 1, repetition: 0, accuracy: 0.5, worker: "a"),
            result(point: 1, repetition: 2, accuracy: 0.7, worker: "b"),
            result(point: 1, repetition: 1, accuracy: 0.6, worker: "a"),
            result(point: 2, accuracy: 0.55),
            result(point: 3, repetition: 0, accuracy: 0.9),
            result(point: 3, repetition: 1, accuracy: nil, status: .diverged),
        ]).rows
        let three = try #require(rows.first { $0.config.hidden.first == 1 })
        #expect(abs(three.validationAccuracy! - 0.6) < 1e-12)
        #expect(abs(three.validationStd! - 0.1) < 1e-12)
        #expect(three.validationCount == 3 && three.repeats == 3 && three.seed == nil)
        #expect(three.workers == "a, b" && three.status == .done)
        #expect(three.trials == [0, 1, 2].map { trial(UInt64($0), cost: 1, hidden: [1, 32]).id })
        let single = try #require(rows.first { $0.config.hidden.first == 2 })
        #expect(single.validationStd == nil && single.seed == 0 && single.repeats == 1)
        // A diverged repeat flags the point but does not enter the mean.
        let unstable = try #require(rows.first { $0.config.hidden.first == 3 })
        #expect(unstable.status == .diverged && unstable.validationAccuracy == 0.9 && unstable.validationCount == 1)
        #expect(rows.map(\.config.hidden.first) == [3, 1, 2])
    }

    @Test func firstRecordOfATrialWins() {
        let rows = board([result(point: 1, accuracy: 0.4), result(point: 1, accuracy: 0.9)]).rows
        #expect(rows.count == 1 && rows[0].validationAccuracy == 0.4 && rows[0].repeats == 1)
    }

    @Test func retriesCountTheLostAttemptsOfAPointsTrials() throws {
        func retried(_ record: JournalRecord, attempt: Int) -> JournalRecord {
            guard case .trialResult(var r) = record else { return record }
            r.attempt = attempt
            return .trialResult(r)
        }
        let failed = JournalRecord.trialFailed(TrialFailedRecord(
            trial: trial(0, cost: 1, hidden: [9, 32]), attempts: 3, reason: "worker w1 went silent 3 times"))
        let rows = board([
            retried(result(point: 1, repetition: 0, accuracy: 0.5), attempt: 3),
            retried(result(point: 1, repetition: 1, accuracy: 0.6), attempt: 2),
            result(point: 2, accuracy: 0.7),
            failed,
        ]).rows
        #expect(rows.map(\.retries) == [0, 3, 2], "\(rows.map(\.config.hidden))")
        let text = Leaderboard.csv(rows)
        #expect(try Leaderboard.rows(fromCSV: text).map(\.retries) == [0, 3, 2])
        #expect(Leaderboard.render(rows, format: .table, wide: true).split(separator: "\n")[0].contains("retries"))
        // A leaderboard written before the column existed still reads, as no retries.
        let header = Leaderboard.columns.joined(separator: ",")
        let old = text.replacingOccurrences(of: header, with: Leaderboard.columns.filter { $0 != "retries" }.joined(separator: ","))
            .split(separator: "\r\n", omittingEmptySubsequences: false).enumerated().map { i, line in
                // Drop the retries field of each data line (its position in the header).
                guard i > 0, !line.isEmpty else { return String(line) }
                var fields = line.split(separator: ",", omittingEmptySubsequences: false)
                fields.remove(at: Leaderboard.columns.firstIndex(of: "retries")!)
                return fields.joined(separator: ",")
            }.joined(separator: "\r\n")
        #expect(!old.contains("retries"))
        #expect(try Leaderboard.rows(fromCSV: old).map(\.retries) == [0, 0, 0])
        #expect(try Leaderboard.rows(fromCSV: old).map(\.validationAccuracy) == rows.map(\.validationAccuracy))
    }

    @Test func csvRoundTripWithAwkwardText() throws {
        let names = ["plain", "with,comma", "with \"quotes\"", "two\nlines", "cr\r\nlf", "", " spaced "]
        for name in names {
            #expect(try CSV.parse(CSV.line(["a", name, "z"])) == [["a", name, "z"]], "\(name.debugDescription)")
        }
        var records = [result(point: 1, repetition: 0, accuracy: 0.5, worker: "x,\"y\"\nz"),
                       result(point: 1, repetition: 1, accuracy: 0.25, worker: "w2")]
        if case .trialResult(var r) = records[0] {
            r.config.optimizer = .nesterov
            r.config.initScheme = .gaussian(std: 1e-4)
            r.config.length = .epochs(7)
            records.append(.trialResult(r))
        }
        let rows = board(records).rows
        let text = Leaderboard.csv(rows)
        #expect(try Leaderboard.rows(fromCSV: text) == rows)
        #expect(text.hasPrefix("rank,val_acc,val_acc_std,val_acc_n,"))
    }

    /// Points that differ only in their model features are separate rows, whose `features`
    /// column survives the CSV; a leaderboard written before the column existed still reads.
    @Test func featuresColumnRoundTripsAndOlderFilesRead() throws {
        var records = [result(point: 1, accuracy: 0.5)]
        if case .trialResult(var r) = records[0] {
            r.trial = TrialID(hex: String(repeating: "e", count: 64))!
            (r.config.dropout, r.config.horizontalFlip, r.config.schedule) = (0.3, true, .cosine)
            records.append(.trialResult(r))
        }
        let rows = board(records).rows
        #expect(rows.count == 2 && Set(rows.map(\.features)) == ["", "dropout=0.3 flip cosine"])
        let text = Leaderboard.csv(rows)
        #expect(try Leaderboard.rows(fromCSV: text) == rows)
        #expect(Leaderboard.render(rows, format: .table).contains("dropout=0.3 flip cosine"))
        #expect(Leaderboard.render(rows, format: .json).contains("\"features\" : \"dropout=0.3 flip cosine\""))
        // The same file without its features column, as an older hypergrid wrote it.
        let featuresColumn = try #require(Leaderboard.columns.firstIndex(of: "features"))
        let older = try CSV.parse(text).map { record in
            CSV.line(record.enumerated().filter { $0.offset != featuresColumn }.map(\.element))
        }.joined()
        #expect(try Leaderboard.rows(fromCSV: older).map(\.features) == ["", ""])
    }

    @Test func csvParserRejectsBrokenQuoting() {
        #expect(throws: CSVError.self) { try CSV.parse("a,\"unclosed\r\n") }
        #expect(throws: CSVError.self) { try CSV.parse("a,b\"c\r\n") }
        #expect(throws: CSVError.self) { try CSV.parse("\"a\"b,c\r\n") }
        #expect((try? CSV.parse("a,b\nc,d")) == [["a", "b"], ["c", "d"]])
    }

    @Test(.enabled(if: executableInPath("python3"), "needs python3"))
    func pythonsCSVModuleReadsIt() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let awkward = "w,1 \"quoted\"\nline"
        try board([result(point: 1, accuracy: 0.5, worker: awkward), result(point: 2, accuracy: 0.75)])
            .write(toDirectory: dir.path)
        let script = """
        import csv, json, sys
        with open(sys.argv[1], newline="") as f:
            rows = list(csv.DictReader(f))
        print(json.dumps([[r["rank"], float(r["val_acc"]), r["hidden"], r["workers"]] for r in rows]))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, dir.file(Leaderboard.fileName)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let parsed = try JSONSerialization.jsonObject(with: output) as? [[Any]]
        #expect(parsed?.count == 2)
        #expect(parsed?[0][0] as? String == "1" && parsed?[0][1] as? Double == 0.75 && parsed?[0][2] as? String == "2-32")
        #expect(parsed?[1][3] as? String == awkward)
    }

    /// A directory the new version cannot be written into: read-only by its mode, or, for
    /// root (whom modes do not stop), a tmpfs remounted read-only.
    @Test(.enabled(if: getuid() != 0 || TinyFileSystem.available, "root needs to mount a tmpfs"))
    func failedRewriteLeavesTheOldFile() throws {
        let old = board([result(point: 1, accuracy: 0.5)])
        let dir: TemporaryDirectory
        if getuid() == 0 {
            dir = try #require(TinyFileSystem.mount(size: "64k"))
        } else {
            dir = TemporaryDirectory()
        }
        defer {
            if getuid() == 0 { TinyFileSystem.unmount(dir) } else { chmod(dir.path, 0o755); dir.remove() }
        }
        try old.write(toDirectory: dir.path)
        let before = try String(contentsOfFile: dir.file(Leaderboard.fileName), encoding: .utf8)
        if getuid() == 0 { #expect(TinyFileSystem.remount(dir, options: "ro")) } else { chmod(dir.path, 0o555) }
        #expect(throws: LeaderboardError.self) {
            try board([result(point: 1, accuracy: 0.5), result(point: 2, accuracy: 0.9)]).write(toDirectory: dir.path)
        }
        #expect(try String(contentsOfFile: dir.file(Leaderboard.fileName), encoding: .utf8) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [Leaderboard.fileName])
    }

    @Test func readersSeeTheOldOrTheNewFileNeverAHalf() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // Two versions of different lengths, large enough that a write takes several syscalls' worth.
        let small = board([result(point: 1, accuracy: 0.5)])
        let large = board((1...400).map { result(point: $0, accuracy: Double($0) / 1000) })
        let versions = Set([Leaderboard.csv(small.rows), Leaderboard.csv(large.rows)])
        try small.write(toDirectory: dir.path)
        let path = dir.file(Leaderboard.fileName)
        let group = DispatchGroup()
        // Written by the writer, read after group.wait has seen it finish.
        final class Failure: @unchecked Sendable { var error: Error? }
        let failure = Failure()
        DispatchQueue.global().async(group: group) {
            do {
                for i in 0..<60 { try (i % 2 == 0 ? large : small).write(toDirectory: dir.path) }
            } catch { failure.error = error }
        }
        var reads = 0, torn = 0
        while group.wait(timeout: .now()) == .timedOut {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            reads += 1
            if !versions.contains(text) { torn += 1 }
        }
        #expect(failure.error == nil)
        #expect(reads > 0 && torn == 0, "\(torn) of \(reads) reads saw a partial file")
    }

    @Test func loadsFromJournalOrCSVWithoutTouchingAnything() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let records = [result(point: 1, accuracy: 0.5), result(point: 2, accuracy: 0.8)]
        do {
            let journal = try Journal(directory: dir.path)
            for r in records { try journal.append(r) }
            try Leaderboard(replay: journal.replay).write(toDirectory: dir.path)
        }
        // A run in progress: an append is half written.
        let journalPath = dir.file(Journal.fileName)
        let handle = FileHandle(forWritingAtPath: journalPath)!
        handle.seekToEndOfFile()
        handle.write(Data("{\"type\":\"res".utf8))
        handle.closeFile()
        let size = try FileManager.default.attributesOfItem(atPath: journalPath)[.size] as? Int

        let expected = board(records).rows
        #expect(try Leaderboard.load(dir.path) == expected)
        #expect(try Leaderboard.load(journalPath) == expected)
        #expect(try Leaderboard.load(dir.file(Leaderboard.fileName)).isEmpty)  // written before the results
        #expect(try FileManager.default.attributesOfItem(atPath: journalPath)[.size] as? Int == size)
        try board(records).write(toDirectory: dir.path)
        #expect(try Leaderboard.load(dir.file(Leaderboard.fileName)) == expected)
        #expect(throws: LeaderboardError.self) { try Leaderboard.load(dir.file("missing")) }
    }

    /// The default table fits a terminal: rank, trial, the metrics that have values and the
    /// hyperparameters that vary; the rest is one "every row" line, and `wide` has them all.
    @Test func defaultTableShowsWhatVaries() throws {
        var records: [JournalRecord] = []
        for (point, lr) in [(1, 0.1), (2, 0.01), (3, 0.001)] {
            var r = result(point: 64, accuracy: 0.5 + Double(point) / 10)
            if case .trialResult(var t) = r {
                t.config.learningRate = lr
                t.trial = TrialID(config: t.config, datasetFingerprint: "fixture")
                r = .trialResult(t)
            }
            records.append(r)
        }
        let rows = board(records).rows
        let narrow = Leaderboard.render(rows, format: .table)
        let lines = narrow.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: " ").map(String.init)
        #expect(header == ["#", "val_acc", "train", "test", "loss", "lr", "trial"], "\(narrow)")
        #expect(lines[1].hasPrefix("1   0.8000") && lines[1].contains("0.001"))
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(narrow)")
        // What is the same in every row is said once, not dropped.
        let note = lines.dropFirst(4).joined(separator: " ")
        #expect(note.hasPrefix("every row: hidden 64-32, bn no, optimizer sgd, decay 0.95"), "\(narrow)")
        #expect(note.contains("(--wide shows all columns)"))

        let wide = Leaderboard.render(rows, format: .table, wide: true)
        let wideHeader = wide.split(separator: "\n")[0]
        for column in ["hidden", "bn", "optimizer", "decay", "reg", "batch", "length", "init", "features",
                       "workers", "wall", "samples"] {
            #expect(wideHeader.contains(column), "\(column) missing from the wide table")
        }
        #expect(!wide.contains("every row:"))
        // --top keeps the columns of the whole grid.
        let top1 = Leaderboard.render(rows, format: .table, top: 1)
        #expect(top1.split(separator: "\n")[0].split(separator: " ").contains("lr"))
    }

    @Test func rendersTableCSVAndJSON() throws {
        let rows = board([result(point: 256, accuracy: 0.5), result(point: 64, accuracy: 0.8, worker: "gpu-2"),
                          result(point: 128, accuracy: nil, status: .diverged)]).rows
        let table = Leaderboard.render(rows, format: .table, top: 2, wide: true)
        let lines = table.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("#  val_acc"))
        #expect(lines[1].hasPrefix("1   0.8000") && lines[1].contains("64-32") && lines[1].contains("gpu-2"))
        // Columns line up: every row's hidden column starts where the header's does.
        let column = lines[0].range(of: "hidden")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].dropFirst(column).hasPrefix("64-32") && lines[2].dropFirst(column).hasPrefix("256-32"))

        #expect(Leaderboard.render(rows, format: .csv) == Leaderboard.csv(rows))
        let json = Leaderboard.render(rows, format: .json, top: 3)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(objects.count == 3 && objects.allSatisfy { $0.count == Leaderboard.columns.count })
        #expect(objects[0]["val_acc"] as? Double == 0.8 && objects[0]["hidden"] as? [Int] == [64, 32])
        #expect(objects[2]["val_acc"] is NSNull && objects[2]["status"] as? String == "diverged")
    }
}
