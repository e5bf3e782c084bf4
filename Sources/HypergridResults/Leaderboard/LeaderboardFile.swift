#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HypergridFiles
import HypergridSearchSpace

extension Leaderboard {
    /// The leaderboard's file name inside a run directory.
    public static let fileName = "leaderboard.csv"

    /// The CSV header, in order: the results, the trial fields of the first leaderboard
    /// (``TrialField/all``), the repeats' bookkeeping, the search columns, and the trial
    /// fields added since, at the end.
    public static let columns = [
        "rank", "val_acc", "val_acc_std", "val_acc_n", "train_acc", "test_acc", "final_loss", "status",
    ] + originalFields.flatMap(\.columns) + [
        "seed", "repeats", "retries", "wall_s", "workers", "trials",
    ] + searchColumns + appendedFields.flatMap(\.columns) + regressionColumns

    /// Regression's figures (empty for classification), last: `val_acc_std`, `val_acc_n` and
    /// the interval are then over the validation RMSEs. Optional when parsing.
    public static let regressionColumns = ["val_rmse", "val_mae", "val_r2", "train_rmse", "test_rmse", "test_mae", "test_r2"]

    static let originalFields = TrialField.all.filter { $0.placement == .original }
    static let appendedFields = TrialField.all.filter { $0.placement == .appended }

    /// The columns of halving, repeats and refit (Leaderboard+Search.swift). A CSV written
    /// before they existed still reads: they are optional when parsing.
    public static let searchColumns = ["val_ci95_low", "val_ci95_high", "separable", "budget_epochs", "samples", "final"]

    /// The whole CSV document: a header and one line per row. Numbers are written in
    /// Swift's shortest round-trip form (`0.001`, `1e-05`, `nan`, `inf`), which Python's
    /// `float()` parses; a missing value is an empty field.
    public static func csv(_ rows: [LeaderboardRow]) -> String {
        // The `verified` column only where a run verified results, so that other boards
        // stay byte for byte what they were.
        let verified = rows.contains { $0.verification != nil }
        var text = CSV.line(columns + (verified ? [verificationColumn] : []))
        for row in rows { text += CSV.line(fields(row) + (verified ? [row.verification ?? ""] : [])) }
        return text
    }

    /// The last column of a run with `search.verify`: ``LeaderboardRow/verification``.
    public static let verificationColumn = "verified"


    /// Columns a CSV may lack because older versions did not write them.
    static let optionalColumns = Set(["retries"] + searchColumns + appendedFields.flatMap(\.columns) + regressionColumns)

    static func fields(_ r: LeaderboardRow) -> [String] {
        // Typed rather than generic: interpolating a generic value goes through a dynamic
        // cast and a text stream (a tenth of a row's rendering in a profile). Same text.
        func text(_ value: Double?) -> String { value?.description ?? "" }
        func text(_ value: Int?) -> String { value?.description ?? "" }
        func text(_ value: UInt64?) -> String { value?.description ?? "" }
        func text(_ value: Bool?) -> String { value?.description ?? "" }
        // In parts: one array literal of this size takes the type checker too long.
        let results: [String] = [
            r.rank.description, text(r.validationAccuracy), text(r.validationStd), r.validationCount.description,
            text(r.trainAccuracy), text(r.testAccuracy), text(r.finalLoss), r.status.rawValue,
        ]
        let bookkeeping: [String] = [
            text(r.seed), r.repeats.description, r.retries.description, text(r.wallSeconds), r.workers,
            r.trials.map(\.hex).joined(separator: " "),
        ]
        let refit: String = r.refit.map { "refit on \($0.rawValue)" } ?? ""
        let search: [String] = [
            text(r.validationInterval?.lowerBound), text(r.validationInterval?.upperBound), text(r.separable),
            text(r.budgetEpochs), r.samplesTrained.description, refit,
        ]
        let regression: [String] = [r.validationRMSE, r.validationMAE, r.validationR2, r.trainRMSE,
                                    r.testRMSE, r.testMAE, r.testR2].map(text)
        return results + originalFields.flatMap { $0.csv(r.config) } + bookkeeping + search
            + appendedFields.flatMap { $0.csv(r.config) } + regression
    }

    /// Parses a leaderboard CSV written by ``csv(_:)``; columns are found by name.
    public static func rows(fromCSV text: String) throws -> [LeaderboardRow] {
        let records = try CSV.parse(text)
        guard let header = records.first else { return [] }
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() { index[name] = i }
        // Files written before the retries or the search columns existed still read (as 0
        // retries and no interval, budget, refit or features).
        if let missing = columns.first(where: { index[$0] == nil && !optionalColumns.contains($0) }) {
            throw LeaderboardError.badCSV(line: 1, message: "no \"\(missing)\" column")
        }
        return try records.dropFirst().enumerated().map { offset, record in
            try row(record, index: index, line: offset + 2)
        }
    }

    private static func row(_ record: [String], index: [String: Int], line: Int) throws -> LeaderboardRow {
        func field(_ name: String) -> String {
            guard let i = index[name] else { return "" }
            return i < record.count ? record[i] : ""
        }
        func bad(_ name: String) -> LeaderboardError {
            .badCSV(line: line, message: "bad \(name) \"\(field(name))\"")
        }
        func required<T>(_ name: String, _ parse: (String) -> T?) throws -> T {
            guard let value = parse(field(name)) else { throw bad(name) }
            return value
        }
        func optional<T>(_ name: String, _ parse: (String) -> T?) throws -> T? {
            let text = field(name)
            if text.isEmpty { return nil }
            guard let value = parse(text) else { throw bad(name) }
            return value
        }
        var config = TrialConfig()
        for trialField in TrialField.all where !trialField.parse(trialField.columns.map(field), into: &config) {
            throw bad(trialField.columns.first { !field($0).isEmpty } ?? trialField.columns[0])
        }
        config.stopAfterEpochs = try optional("budget_epochs") { Int($0) }
        let final = field("final")
        if final.hasPrefix("refit on ") { config.refit = RefitData(rawValue: String(final.dropFirst("refit on ".count))) }
        let trialsText = field("trials")
        let trials = trialsText.split(separator: " ").map { TrialID(hex: String($0)) }
        guard trials.allSatisfy({ $0 != nil }) else { throw bad("trials") }
        var parsed = LeaderboardRow(
            rank: try required("rank") { Int($0) },
            validationAccuracy: try optional("val_acc") { Double($0) },
            validationStd: try optional("val_acc_std") { Double($0) },
            validationCount: try required("val_acc_n") { Int($0) },
            trainAccuracy: try optional("train_acc") { Double($0) },
            testAccuracy: try optional("test_acc") { Double($0) },
            finalLoss: try optional("final_loss") { Double($0) },
            status: try required("status") { TrialStatus(rawValue: $0) }, config: config,
            seed: try optional("seed") { UInt64($0) },
            repeats: try required("repeats") { Int($0) },
            retries: try optional("retries") { Int($0) } ?? 0,
            wallSeconds: try optional("wall_s") { Double($0) },
            workers: field("workers"),
            trials: trials.map { $0! })
        let low = try optional("val_ci95_low") { Double($0) }, high = try optional("val_ci95_high") { Double($0) }
        if let low, let high, low <= high { parsed.validationInterval = low...high }
        parsed.separable = try optional("separable") { Bool($0) }
        parsed.samplesTrained = try optional("samples") { Int($0) } ?? 0
        parsed.validationRMSE = try optional("val_rmse") { Double($0) }
        parsed.validationMAE = try optional("val_mae") { Double($0) }
        parsed.validationR2 = try optional("val_r2") { Double($0) }
        parsed.trainRMSE = try optional("train_rmse") { Double($0) }
        parsed.testRMSE = try optional("test_rmse") { Double($0) }
        parsed.testMAE = try optional("test_mae") { Double($0) }
        parsed.testR2 = try optional("test_r2") { Double($0) }
        let verified = field(verificationColumn)
        parsed.verification = verified.isEmpty ? nil : verified
        return parsed
    }

    /// Rewrites `directory/leaderboard.csv` atomically: readers see the old file or the
    /// new one, never a half-written one, and a crash leaves one of the two.
    public func write(toDirectory directory: String) throws {
        try Self.replaceAtomically((directory as NSString).appendingPathComponent(Self.fileName),
                                   with: Array(Self.csv(rows).utf8))
    }

    /// Replaces `path` durably (``DurableFile``): a reader sees the old leaderboard or the
    /// whole new one.
    static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws {
        do {
            try DurableFile.replace(path, with: bytes)
        } catch let error as FileSystemError {
            throw LeaderboardError.io(error)
        }
    }

    /// The rows of a run, for `hypergrid leaderboard DIR|FILE`, without modifying anything:
    /// a directory's journal if it has one (always current), else its `leaderboard.csv`;
    /// a `.jsonl` file as a journal; any other file as a leaderboard CSV.
    public static func load(_ path: String) throws -> [LeaderboardRow] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LeaderboardError.io(FileSystemError(path: path, operation: "read", errno: ENOENT))
        }
        var file = path
        if isDirectory.boolValue {
            let journal = (path as NSString).appendingPathComponent(Journal.fileName)
            file = FileManager.default.fileExists(atPath: journal)
                ? journal : (path as NSString).appendingPathComponent(fileName)
        }
        if file.hasSuffix(".jsonl") { return Leaderboard(replay: try Journal.read(file)).rows }
        let bytes: [UInt8]
        do {
            let fd = try POSIX.open(file, O_RDONLY, operation: "open")
            defer { closeDescriptor(fd) }
            bytes = try POSIX.readAll(fd, path: file)
        } catch let error as FileSystemError { throw LeaderboardError.io(error) }
        do {
            return try rows(fromCSV: String(decoding: bytes, as: UTF8.self))
        } catch let error as CSVError {
            throw LeaderboardError.badCSV(line: error.line, message: error.message)
        }
    }
}

/// Why a leaderboard could not be written or read.
public enum LeaderboardError: Error, Equatable, CustomStringConvertible {
    case badCSV(line: Int, message: String)
    case io(FileSystemError)

    public var description: String {
        switch self {
        case .badCSV(let line, let message): return "leaderboard CSV line \(line): \(message)"
        case .io(let error): return error.description
        }
    }
}
