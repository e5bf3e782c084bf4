import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Successive halving with real processes: the same rungs, survivors and bits on one
/// worker as on two, later rungs continued from checkpoints the coordinator stored, and
/// the test split touched only by the final refit.
@Suite(.serialized) struct HalvingEndToEndTests {
    func writeGrid(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("halving.yaml")
        try """
        dataset: {name: synthetic, train_rows: 2000, validation_rows: 400, test_rows: 400}
        model: {hidden: [16, 32, 64], batch_norm: [false, true], init: he}
        training: {optimizer: momentum, learning_rate: [0.3, 0.05, 0.005], epochs: 9, batch_size: 100, loss_every: 5}
        search: {kind: halving, factor: 3, min_epochs: 1, final: refit}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func run(workers: Int, in dir: URL, grid: URL) throws -> (JournalReplay, String, URL) {
        let runDir = dir.appendingPathComponent("run-\(workers)")
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--workers", "\(workers)", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path], in: dir, timeout: 300)
        #expect(status == 0, "\(log)")
        return (try Journal.read(runDir.path), log, runDir)
    }

    @Test func twoWorkersGiveTheSameSurvivorsAndBitsAsOne() throws {
        let dir = try temporaryDirectory("halving")
        let grid = try writeGrid(in: dir)
        let (one, _, _) = try run(workers: 1, in: dir, grid: grid)
        let (two, log, runDir) = try run(workers: 2, in: dir, grid: grid)

        // 18 points × 1 epoch, 6 × 3, 2 × 9, then one refit: 27 trials, each recorded once.
        let results = Array(two.results.values)
        #expect(results.count == 27 && two.failures.isEmpty, "\(log)")
        let byBudget = Dictionary(grouping: results.filter { $0.config.refit == nil }) { $0.config.stopAfterEpochs ?? 9 }
        #expect(byBudget.mapValues(\.count) == [1: 18, 3: 6, 9: 2])
        #expect(Set(byBudget[3]!.map(\.point)).isSubset(of: Set(byBudget[1]!.map(\.point))))
        #expect(Set(byBudget[9]!.map(\.point)).isSubset(of: Set(byBudget[3]!.map(\.point))))

        // Same trials and same bits on one worker as on two (timings aside).
        #expect(Set(one.results.keys) == Set(two.results.keys))
        for (id, r) in two.results {
            let other = one.results[id]!
            #expect(r.metrics.validationAccuracy == other.metrics.validationAccuracy && r.history == other.history,
                    "trial \(id.short)")
            #expect(r.metrics.testAccuracy == other.metrics.testAccuracy && r.metrics.resumedAt == other.metrics.resumedAt)
        }
        #expect(Set(two.results.values.map(\.worker)).count == 2, "both workers trained")

        // Later rungs continued from the stored checkpoints instead of starting over.
        #expect(results.filter { ($0.config.stopAfterEpochs ?? 9) > 1 && $0.config.refit == nil }
                    .allSatisfy { $0.metrics.resumedAt != nil })
        let stored = try FileManager.default.contentsOfDirectory(atPath: runDir.appendingPathComponent("checkpoints").path)
        #expect(stored.filter { $0.hasSuffix(".hgckpt") }.count == 24)

        // Only the refit measured the test split, and the leaderboard puts it first.
        let refit = results.filter { $0.config.refit != nil }
        #expect(refit.count == 1 && refit[0].metrics.testAccuracy != nil && refit[0].config.refit == .trainValidation)
        #expect(results.filter { $0.config.refit == nil }.allSatisfy { $0.metrics.testAccuracy == nil })
        let best = byBudget[9]!.max { ($0.metrics.validationAccuracy!, $1.trial) < ($1.metrics.validationAccuracy!, $0.trial) }!
        #expect(refit[0].point == best.point)
        let rows = try Leaderboard.load(runDir.appendingPathComponent("leaderboard.csv").path)
        #expect(rows.first?.refit == .trainValidation && rows.count == 19)
        #expect(rows[1].budgetEpochs == nil && rows[3].budgetEpochs == 3)
        #expect(log.contains("final refit on train+validation") && log.contains("compute: "), "\(log)")
    }

    @Test func aCoordinatorKilledMidSearchResumesTheSameRungs() throws {
        let dir = try temporaryDirectory("halving-restart")
        let grid = try writeGrid(in: dir)
        let (reference, _, _) = try run(workers: 1, in: dir, grid: grid)
        let runDir = dir.appendingPathComponent("run-killed")
        let arguments = ["run", "--grid", grid.path, "--workers", "2", "--run-dir", runDir.path,
                         "--cache-dir", dir.appendingPathComponent("cache").path]
        let first = try CLIProcess(arguments, log: dir.appendingPathComponent("killed.log"))
        defer { first.signal(SIGKILL) }
        // SIGKILL the coordinator (its local workers die with it) once rung 1 is under way.
        #expect(waitUntil(timeout: 120) { first.log.contains("continue to rung 1") }, "\(first.log)")
        first.signal(SIGKILL)
        _ = first.wait(timeout: 10)
        // Killed mid-search: rungs 1 and 2 and the refit (9 of the 27 trials) take far longer
        // than the 20 ms poll.
        #expect(try Journal.read(runDir.path).results.count < 27, "\(first.log)")
        let (status, log) = try CLIProcess.run(arguments, in: dir, timeout: 300)
        #expect(status == 0, "\(log)")
        // The restarted coordinator rebuilt rung 1 from the journal and ran only what was missing.
        #expect(log.contains("continue to rung 1"), "\(log)")
        let resumed = try Journal.read(runDir.path)
        #expect(resumed.duplicates == 0)
        #expect(Set(resumed.results.keys) == Set(reference.results.keys))
        for (id, r) in resumed.results {
            #expect(r.metrics.validationAccuracy == reference.results[id]!.metrics.validationAccuracy, "trial \(id.short)")
        }
        // A third run finds everything in the journal and trains nothing.
        let (again, againLog) = try CLIProcess.run(arguments, in: dir, timeout: 120)
        #expect(again == 0 && againLog.contains("0 done"), "\(againLog)")
        #expect(try Journal.read(runDir.path).results.count == 27)
    }
}
