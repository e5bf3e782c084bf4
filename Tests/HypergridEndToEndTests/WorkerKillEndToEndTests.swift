import Foundation
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// Workers SIGKILLed mid-trial, again and again, while a steady worker keeps going.
    @Suite struct WorkerKills {
        @Test func threeWorkersKilledMidTrialEveryPointOnceWithRetriesNoted() throws {
            let scenario = try FaultScenario("kill-workers")
            defer { scenario.stop() }
            // 2 widths × 6 rates × 2 lengths = 24 trials of 0.3-1 s each (release build).
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02, 0.01, 0.005],
                                              iterations: [3000, 3001])
            // Silence of 2 s means dead: lenient enough for a loaded machine. Five attempts
            // allowed, so that a trial hit by several kills is retried rather than failed.
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 8,
                                                                               extra: ["--max-attempts", "5"]),
                                                 log: "coordinator")
            try scenario.start(scenario.workerArguments("steady", heartbeat: 0.25, liveness: 8), log: "steady")
            var killed: [LoggedAssignment] = []
            for round in 1...3 {
                // Spread over the run: at the start, after 6 results and after 12.
                let results = 6 * (round - 1)
                #expect(waitUntil(timeout: 120) { journalledResults(scenario.runDir) >= results }, "\(coordinator.log)")
                let name = "victim-\(round)"
                let victim = try scenario.start(scenario.workerArguments(name, heartbeat: 0.25, liveness: 8), log: name)
                // Killed without warning as soon as it starts training its first trial
                // (a trial takes 0.3 s or more).
                #expect(waitUntil(timeout: 60) { victim.log.contains("assigned trial") }, "\(name) got no trial: \(victim.log)")
                victim.signal(SIGKILL)
                #expect(victim.wait(timeout: 10) != nil)
                let lost = try #require(assignments(in: coordinator.log).last { $0.worker == name })
                killed.append(lost)
            }
            #expect(killed.count == 3, "\(killed)")
            // The fourth start of the victim survives and helps finish the grid.
            try scenario.start(scenario.workerArguments("victim-4", heartbeat: 0.25, liveness: 8), log: "victim-4")
            let status = coordinator.wait(timeout: 300)
            #expect(status == 0, "\(coordinator.log)")

            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: 24)
            let byShortID = Dictionary(uniqueKeysWithValues: replay.results.map { ($0.key.short, $0.value) })
            for lost in killed {
                // The killed worker never delivered; a later attempt did.
                let result = try #require(byShortID[lost.trial], "trial \(lost.trial) has no result")
                #expect(result.worker != lost.worker, "\(lost.trial) recorded from the killed \(lost.worker)")
                #expect(result.attempt > lost.attempt, "\(lost.trial): attempt \(result.attempt) after \(lost.worker)'s \(lost.attempt)")
            }
            #expect(occurrences(of: "went silent", in: coordinator.log) >= 3, "\(coordinator.log)")
            // The leaderboard notes the retries: each killed attempt shows on its point's row.
            let rows = try Leaderboard.load(scenario.runDir.appendingPathComponent(Leaderboard.fileName).path)
            let retries = rows.reduce(0) { $0 + $1.retries }
            #expect(retries == replay.results.values.reduce(0) { $0 + $1.attempt - 1 })
            #expect(retries >= Set(killed.map(\.trial)).count, "\(rows.map(\.retries))")
            for lost in killed {
                let row = try #require(rows.first { $0.trials.contains { $0.short == lost.trial } })
                #expect(row.retries >= 1, "the row of \(lost.trial) notes its retry")
            }
            let csv = try String(contentsOf: scenario.runDir.appendingPathComponent(Leaderboard.fileName), encoding: .utf8)
            #expect(csv.split(separator: "\r\n").first?.contains(",retries,") == true)
            print("worker kills: \(killed.count) kills survived, \(retries) retries, 24/24 trials once, 0 duplicates")
        }
    }
}
