import Foundation
import HypergridCoordinator
import HypergridSearchSpace
import Testing

/// `hypergrid-coordinator-bench` with small counts, so that a protocol or result-check change
/// that breaks its no-op workers fails here rather than when someone next wants the figures
/// (its workers once reported a test accuracy, which the coordinator records as a failed
/// result, and every run ended with 0 trials done).
@Suite(.serialized) struct CoordinatorBenchEndToEndTests {
    /// The benchmark executable built beside `hypergrid` (`swift build -c release` builds both).
    static var executable: URL {
        CLIProcess.executable.deletingLastPathComponent().appendingPathComponent("hypergrid-coordinator-bench")
    }

    /// 300 trials with 1 and with 4 no-op worker processes, each one at a time and holding two
    /// more (prefetch): the benchmark exits 0 and prints a verified row for each, and each kept
    /// run directory holds every trial exactly once, done (not recorded as a failed result),
    /// with a leaderboard row each.
    @Test func threeHundredTrialsWithOneAndFourWorkersEachOnce() throws {
        let dir = try temporaryDirectory("coordinator-bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "\(Self.executable.path) is missing: build with swift build -c release")
        // TMPDIR puts the run directories (kept with --keep) inside this test's directory.
        let bench = try CLIProcess(executable: Self.executable,
                                   ["--trials", "300", "--workers", "1,4", "--prefetch", "0,2", "--keep", "--log-level", "info"],
                                   log: dir.appendingPathComponent("bench.log"), environment: ["TMPDIR": dir.path])
        let status = bench.wait(timeout: 300)
        let output = bench.log
        #expect(status == 0, "\(output)")
        #expect(!output.contains("check failed"), "\(output)")

        // The table: a header line starting with `trials`, then one tab-separated row per run.
        let lines = output.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("trials\t") }, "\(output)").split(separator: "\t").map(String.init)
        let rows = lines.map { $0.split(separator: "\t").map(String.init) }
            .filter { $0.count == header.count && $0 != header && Int($0[0]) != nil }
            .map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        #expect(rows.map { $0["workers"] } == ["1", "1", "4", "4"], "\(output)")
        #expect(rows.map { $0["prefetch"] } == ["0", "2", "0", "2"], "\(output)")
        for row in rows {
            #expect(row["trials"] == "300" && row["verified"] == "yes", "\(row)")
            #expect((Double(row["trials_per_s"] ?? "") ?? 0) > 0, "\(row)")
        }

        // Checked again from the files, independently of the benchmark's own verification.
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix("hypergrid-coordinator-bench-") }.sorted()
        #expect(runs.count == 4, "\(runs)")
        for run in runs {
            let replay = try expectEveryTrialExactlyOnce(dir.appendingPathComponent(run), planned: 300)
            let notDone = replay.results.values.filter { $0.metrics.status != .done }
            #expect(notDone.isEmpty, "\(run): \(notDone.count) results not done, e.g. \(notDone.first?.metrics.reason ?? "")")
        }
    }
}
