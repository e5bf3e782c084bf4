import ArgumentParser
import Foundation
import HypergridResults

/// `hypergrid leaderboard`: print a run's results, also while it is in progress.
struct LeaderboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Print a run's leaderboard as a table, CSV or JSON.")

    @Argument(help: "A run directory, its journal.jsonl or a leaderboard.csv.")
    var path: String
    @Option(help: "Only the best N rows.")
    var top: Int?
    @Option(help: "table, csv or json.")
    var format: String = "table"
    @Flag(help: "With --format table: every column, not only those that vary between the rows and the metrics.")
    var wide = false

    func validate() throws {
        guard LeaderboardFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of table, csv, json; got '\(format)'.")
        }
        if let n = top, n < 1 { throw ValidationError("--top must be at least 1, got \(n).") }
    }

    func run() throws {
        let rows = try Leaderboard.load(path)
        // Above the table only (CSV and JSON stay the rows alone, for programs to read): what
        // the run trained on, with the imputed cells and dropped rows of a user's file.
        if format == LeaderboardFormat.table.rawValue {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let directory = exists && isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
            if let dataset = RunDataset.read(runDirectory: directory.isEmpty ? "." : directory) { print(dataset.line) }
        }
        print(Leaderboard.render(rows, format: LeaderboardFormat(rawValue: format)!, top: top, wide: wide),
              terminator: "")
        // Below the table only: CSV and JSON stay the rows alone, for programs to read.
        if format == LeaderboardFormat.table.rawValue {
            for worker in Leaderboard.quarantinedWorkers(path) {
                print("quarantined worker \(worker.worker): \(worker.reason)")
            }
        }
    }
}
