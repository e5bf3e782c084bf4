import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// Verified results (issue 17 §3): a worker whose weights are subtly wrong (the test-only
    /// switch `HYPERGRID_TEST_PERTURB_WEIGHT=1` nudges one weight by one ulp after training)
    /// beside two honest ones, with `search.verify` on.
    @Suite struct VerifiedResults {
        /// Runs the 12-trial grid with three workers (own caches, so that no worker can deliver
        /// another's kept result), `faulty` started with the fault switch; returns the
        /// scenario, the coordinator's log and the faulty worker's exit status.
        func run(_ name: String, faulty: String?) throws -> (FaultScenario, String, Int32?) {
            let scenario = try FaultScenario(name)
            defer { scenario.stop() }
            let grid = try scenario.writeGrid(widths: [32, 48, 64], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [1500])
            let text = try String(contentsOf: grid, encoding: .utf8)
            try text.replacingOccurrences(of: "search: {kind: grid}", with: "search: {kind: grid, verify: 0.2}")
                .write(to: grid, atomically: true, encoding: .utf8)
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 8),
                                                 log: "coordinator")
            var workers: [String: CLIProcess] = [:]
            for worker in ["alpha", "beta", "gamma"] {
                let arguments = scenario.workerArguments(worker, heartbeat: 0.25, liveness: 8,
                                                         cache: scenario.dir.appendingPathComponent("\(worker)-cache").path)
                let environment = worker == faulty ? ["HYPERGRID_TEST_PERTURB_WEIGHT": "1"] : [:]
                workers[worker] = scenario.remember(try CLIProcess(arguments, log: scenario.logURL(worker), environment: environment))
            }
            #expect(coordinator.wait(timeout: 240) == 0, "\(coordinator.log)")
            var faultyStatus: Int32?
            for (worker, process) in workers {
                let status = process.wait(timeout: 30)
                if worker == faulty { faultyStatus = status } else { #expect(status == 0, "\(worker): \(process.log)") }
            }
            return (scenario, coordinator.log, faultyStatus)
        }

        @Test func aWorkerWithAWrongWeightIsOutvotedQuarantinedAndItsTrialsRedone() throws {
            let start = Date()
            let (clean, cleanLog, _) = try run("verify-clean", faulty: nil)
            let cleanReplay = try expectEveryTrialExactlyOnce(clean.runDir, planned: 12)
            #expect(cleanReplay.verifications.count >= 3, "at least one per worker: \(cleanLog)")
            #expect(cleanReplay.verifications.allSatisfy { $0.verdict == .match }, "\(cleanLog)")
            #expect(cleanReplay.results.values.allSatisfy { $0.digest?.count == 64 })

            let (scenario, log, gammaStatus) = try run("verify-faulty", faulty: "gamma")
            let reason = "its result for trial"
            #expect(gammaStatus == 6, "told it is quarantined, it exits 6: \(log)")
            let gammaLog = (try? String(contentsOf: scenario.logURL("gamma"), encoding: .utf8)) ?? ""
            #expect(gammaLog.contains("quarantined this worker for the rest of its run: \(reason)"), "\(gammaLog)")
            #expect(occurrences(of: "worker gamma quarantined: \(reason)", in: log) == 1, "\(log)")
            #expect(log.contains("quarantined worker gamma: \(reason)"), "the end-of-run summary lists it")
            #expect(log.contains("faulty: gamma"), "\(log)")

            // Every trial once; gamma's results all replaced by honest workers' (equal digests
            // to the clean run's, so weights, metrics and history equal), and marked.
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 12)
            let firstResults = replay.entries.compactMap { entry -> TrialResultRecord? in
                if case .trialResult(let r) = entry.record { return r } else { return nil }
            }
            let byGamma = firstResults.filter { $0.worker == "gamma" }.map(\.trial)
            #expect(!byGamma.isEmpty, "gamma trained some trials first: \(log)")
            #expect(replay.verifications.contains { $0.verdict == .mismatch }, "\(log)")
            #expect(replay.verifications.contains { $0.purpose == .arbitrate && $0.faulty == "gamma" }, "\(log)")
            for trial in byGamma {
                #expect(replay.verifications.contains { $0.trial == trial && $0.verdict.replacesResult && $0.worker != "gamma" },
                        "gamma's \(trial.short) redone elsewhere")
            }
            for (trial, result) in replay.results {
                #expect(result.worker != "gamma")
                #expect(result.digest == cleanReplay.results[trial]?.digest, "\(trial.short) as in the clean run")
                #expect(result.metrics.validationAccuracy == cleanReplay.results[trial]?.metrics.validationAccuracy)
            }
            let rows = try Leaderboard.load(scenario.runDir.appendingPathComponent(Leaderboard.fileName).path)
            let cleanRows = try Leaderboard.load(clean.runDir.appendingPathComponent(Leaderboard.fileName).path)
            func board(_ rows: [LeaderboardRow]) -> [[String]] {
                rows.map { [$0.trials.map(\.hex).joined(), "\($0.validationAccuracy ?? -1)", "\($0.trainAccuracy ?? -1)",
                             "\($0.finalLoss ?? -1)", $0.status.rawValue] }
            }
            #expect(board(rows) == board(cleanRows), "the leaderboard equals the run without a faulty worker")
            let marked = rows.filter { $0.verification == "redone" || $0.verification == "corrected" }
            #expect(marked.count == byGamma.count, "\(rows.map { $0.verification ?? "-" })")
            let (status, table) = try CLIProcess.run(["leaderboard", scenario.runDir.path], in: scenario.dir)
            #expect(status == 0 && table.contains("quarantined worker gamma: \(reason)") && table.contains("verified"), "\(table)")
            let checks = replay.verifications.count
            print("verified results: gamma (one weight off by one ulp) trained \(byGamma.count) trials first; found by \(replay.verifications.filter { $0.verdict == .mismatch }.count) mismatch(es), outvoted by a third worker, quarantined (exit 6); \(checks) re-runs in all; 12/12 once, leaderboard equal to the clean run's; both runs in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
    }
}
