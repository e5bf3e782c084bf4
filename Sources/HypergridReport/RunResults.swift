import Foundation
import HypergridResults
import HypergridSearchSpace

/// Why a report could not be made; one sentence for the user.
public struct ReportError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One grid point of the leaderboard with what the report draws for it.
public struct RankedPoint: Sendable {
    /// The leaderboard's row: rank, mean metrics over repeats, hyperparameters.
    public var row: LeaderboardRow
    /// The point's configuration, with seed 0 (repeats differ only in their seed).
    public var config: TrialConfig
    /// The point's results, by repetition (failures have none).
    public var results: [TrialResultRecord]
    /// Trials of the point the coordinator gave up on.
    public var failures: [TrialFailedRecord]

    /// The result whose curves stand for the point: the first repetition's.
    public var representative: TrialResultRecord? { results.first }
}

/// A run's results, read from its journal without touching the run: the ranked points
/// and everything the journal says about the run.
public struct RunResults: Sendable {
    /// The run directory the journal was read from.
    public var directory: String
    /// Best mean validation accuracy first (the leaderboard's order).
    public var points: [RankedPoint]
    /// How many times a coordinator started (or resumed) this run.
    public var starts: [RunStartedRecord]
    /// Wall-clock times (seconds since 1970) of the first and last journal records.
    public var firstRecordTime: Double?
    public var lastRecordTime: Double?

    /// Every result, best point first, repetitions in order.
    public var results: [TrialResultRecord] { points.flatMap(\.results) }
    /// Trials the coordinator gave up on.
    public var failures: [TrialFailedRecord] { points.flatMap(\.failures) }
    /// Trials planned by the latest coordinator start, if any started.
    public var plannedTrials: Int? { starts.last?.trials }

    /// Builds the ranked points from a journal's replay.
    public init(directory: String, replay: JournalReplay) {
        self.directory = directory
        let rows = Leaderboard(replay: replay).rows
        points = rows.map { row in
            let results = row.trials.compactMap { replay.results[$0] }
            let failures = row.trials.compactMap { replay.failures[$0] }
            var config = results.first?.config ?? failures.first!.config
            config.seed = 0
            return RankedPoint(row: row, config: config, results: results, failures: failures)
        }
        starts = replay.entries.compactMap { if case .runStarted(let s) = $0.record { s } else { nil } }
        let times = replay.entries.compactMap(\.time)
        firstRecordTime = times.min()
        lastRecordTime = times.max()
    }

    /// Reads `directory/journal.jsonl` (safe while a coordinator appends to it).
    ///
    /// - Throws: ``ReportError`` when the directory does not exist, has no journal, the
    ///   journal is damaged or unreadable, or it holds no finished trial yet.
    public static func load(runDirectory directory: String) throws -> RunResults {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw ReportError("\(directory): no such run directory.")
        }
        guard isDirectory.boolValue else {
            throw ReportError("\(directory) is a file, not a run directory; give the directory that holds \(Journal.fileName).")
        }
        let journal = (directory as NSString).appendingPathComponent(Journal.fileName)
        guard FileManager.default.fileExists(atPath: journal) else {
            throw ReportError("\(directory) has no \(Journal.fileName), so it is not a run directory (hypergrid run --run-dir \(directory) makes one).")
        }
        let replay: JournalReplay
        do {
            replay = try Journal.read(journal)
        } catch {
            throw ReportError("\(error)")
        }
        let results = RunResults(directory: directory, replay: replay)
        guard !results.points.isEmpty else {
            throw ReportError("\(journal) has no finished trials yet, so there is nothing to report.")
        }
        return results
    }
}
