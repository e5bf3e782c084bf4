import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

/// A result of hidden width `point`, seed `seed`, with an optional halving budget or refit.
private func record(point: Int, seed: UInt64 = 0, accuracy: Double?, stop: Int? = nil, refit: RefitData? = nil,
                    iterations: Int = 10, resumedAt: Int? = nil, test: Double? = nil) -> JournalRecord {
    var config = TrialConfig(hidden: [point], batchSize: 50, length: .epochs(9), seed: seed)
    config.stopAfterEpochs = stop
    config.refit = refit
    let planned = PlannedTrial(id: TrialID(config: config, datasetFingerprint: "f"), config: config,
                               point: point, repetition: Int(seed), cost: 1)
    var o = outcome(accuracy, test: test)
    o.metrics.iterations = iterations
    o.metrics.resumedAt = resumedAt
    return .trialResult(TrialResultRecord(trial: planned, attempt: 1, worker: "w", outcome: o))
}

private func rows(_ records: [JournalRecord]) -> [LeaderboardRow] {
    var board = Leaderboard()
    for r in records { board.add(r) }
    return board.rows
}

@Suite struct LeaderboardSearchTests {
    @Test func studentTQuantiles() {
        // Reference values of t(0.975, df) (scipy.stats.t.ppf).
        let reference: [(Int, Double)] = [(1, 12.7062), (2, 4.3027), (9, 2.2622), (30, 2.0423), (31, 2.0395),
                                          (60, 2.0003), (120, 1.9799), (1000, 1.9623)]
        for (df, t) in reference {
            #expect(abs(Leaderboard.studentT975(degreesOfFreedom: df) - t) < 2e-4, "df \(df)")
        }
    }

    @Test func repeatsGiveATIntervalAndFlagOverlappingTopPoints() throws {
        // Point 1: 0.50, 0.52, 0.54 (mean 0.52, s 0.02); point 2: 0.49, 0.51, 0.53 (overlaps);
        // point 3: 0.30, 0.31, 0.32 (far below).
        let values: [Int: [Double]] = [1: [0.50, 0.52, 0.54], 2: [0.49, 0.51, 0.53], 3: [0.30, 0.31, 0.32]]
        let records = values.flatMap { point, accs in accs.enumerated().map { record(point: point, seed: UInt64($0), accuracy: $1) } }
        let r = rows(records)
        #expect(r.map(\.config.hidden) == [[1], [2], [3]])
        let interval = try #require(r[0].validationInterval)
        let half = 4.3027 * 0.02 / 3.0.squareRoot()
        #expect(abs(interval.lowerBound - (0.52 - half)) < 1e-4 && abs(interval.upperBound - (0.52 + half)) < 1e-4)
        #expect(r[0].separable == false && r[1].separable == false && r[2].separable == true)
        // A single repeat has no interval, and nothing to compare.
        let single = rows([record(point: 1, accuracy: 0.5), record(point: 2, accuracy: 0.4)])
        #expect(single.allSatisfy { $0.validationInterval == nil && $0.separable == nil })
    }

    @Test func rungsAggregateIntoTheirPointAndTheRefitComesFirst() {
        let r = rows([
            record(point: 1, accuracy: 0.40, stop: 1, iterations: 10),
            record(point: 2, accuracy: 0.45, stop: 1, iterations: 10),
            record(point: 3, accuracy: 0.35, stop: 1, iterations: 10),
            record(point: 2, accuracy: 0.50, stop: 3, iterations: 30, resumedAt: 10),
            record(point: 1, accuracy: 0.48, stop: 3, iterations: 30, resumedAt: 10),
            record(point: 2, accuracy: 0.55, iterations: 90, resumedAt: 30),
            record(point: 2, accuracy: nil, refit: .trainValidation, iterations: 100, test: 0.56),
        ])
        #expect(r.map(\.config.hidden) == [[2], [2], [1], [3]])
        #expect(r[0].refit == .trainValidation && r[0].testAccuracy == 0.56 && r[0].samplesTrained == 100 * 50)
        // Point 2 reached the last rung: its row shows that rung, and counts every rung's new samples.
        #expect(r[1].budgetEpochs == nil && r[1].validationAccuracy == 0.55 && r[1].samplesTrained == 90 * 50)
        #expect(r[2].budgetEpochs == 3 && r[2].validationAccuracy == 0.48 && r[2].samplesTrained == 30 * 50)
        #expect(r[3].budgetEpochs == 1 && r[3].samplesTrained == 10 * 50)
        // The CSV keeps the new columns, and a CSV from before them still reads.
        let parsed = try? Leaderboard.rows(fromCSV: Leaderboard.csv(r))
        #expect(parsed == r)
        let old = Leaderboard.csv(r).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(Leaderboard.searchColumns.count)
                .joined(separator: ",")
        }.joined(separator: "\n")
        #expect((try? Leaderboard.rows(fromCSV: old))?.count == 4)
        #expect(Leaderboard.render(r, format: .table).contains("refit(train+validation)"))
    }
}
