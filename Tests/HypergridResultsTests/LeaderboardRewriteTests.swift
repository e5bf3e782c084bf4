import HypergridPrimitives
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

/// The leaderboard keeps each point's row and CSV line as records arrive, so that a rewrite
/// of `leaderboard.csv` only ranks and concatenates: what it writes must stay exactly what
/// rendering the ranked rows from scratch gives, after every record.
@Suite struct LeaderboardRewriteTests {
    /// Results, repeats, failures, halving rungs, a refit, awkward worker names and
    /// verification verdicts (which mark a row or replace its metrics), in a fixed shuffle.
    static func records() -> [JournalRecord] {
        var generator = SplitMix64(seed: 42)
        var records: [JournalRecord] = []
        var results: [TrialResultRecord] = []
        let workers = ["w1", "w,2", "w \"3\"", "w4"]
        for point in 0..<30 {
            for repetition in 0..<(1 + point % 3) {
                for budget in point % 4 == 0 ? [5, 10] : [nil] {
                    var planned = trial(UInt64(1000 * point + 10 * repetition + (budget ?? 0)), cost: 1, point: point,
                                        repetition: repetition, hidden: [16 + point % 5, 8])
                    planned.config.learningRate = [1e-3, 1e-2, 0.1][point % 3]
                    planned.config.stopAfterEpochs = budget
                    if point == 29 { planned.config.refit = .trainValidation }
                    let r = generator.next() % 100
                    let status: TrialStatus = r < 5 ? .failed : r < 10 ? .diverged : .done
                    let accuracy: Double? = status == .failed ? nil : Double(generator.next() % 1000) / 1000
                    if r < 3 || (point == 7 && repetition == 0) {
                        records.append(.trialFailed(TrialFailedRecord(trial: planned, attempts: 3, reason: "lost")))
                        continue
                    }
                    let record = TrialResultRecord(trial: planned, attempt: 1 + Int(generator.next() % 2),
                                                   worker: workers[Int(generator.next() % 4)],
                                                   outcome: outcome(accuracy, status: status, wall: 2, train: accuracy))
                    results.append(record)
                    records.append(.trialResult(record))
                }
            }
        }
        let verdicts: [VerificationRecord.Verdict] = [.match, .mismatch, .corrected, .redone, .upheld]
        for (i, result) in results.enumerated() where i % 7 == 3 {
            records.append(.verification(VerificationRecord(
                trial: result.trial, purpose: .verify, verdict: verdicts[i % verdicts.count], worker: "v,\(i)",
                attempt: 1, outcome: outcome(0.5 + Double(i % 10) / 100, wall: 3))))
        }
        // Interleave deterministically, keeping each verification after its result.
        var interleaved: [JournalRecord] = []
        var queue = records
        while !queue.isEmpty {
            let pick = Int(generator.next() % UInt64(min(queue.count, 5)))
            let record = queue.remove(at: pick)
            if case .verification(let v) = record,
               queue.contains(where: { if case .trialResult(let r) = $0 { return r.trial == v.trial } else { return false } }) {
                queue.append(record)
                continue
            }
            interleaved.append(record)
        }
        return interleaved
    }

    @Test func theKeptLinesAreTheRenderedRowsAfterEveryRecord() {
        var board = Leaderboard()
        var verifiedSeen = false
        for (i, record) in Self.records().enumerated() {
            board.add(record)
            // Kept lines for some rows, fresh ones for the rows changed since.
            if i % 4 == 0 { board.keepLines() }
            if case .verification = record { verifiedSeen = true }
            #expect(board.csvText == Leaderboard.csv(board.rows))
        }
        // The fixture reaches what it is for: several rows per point, a refit, markers.
        let rows = board.rows
        #expect(verifiedSeen && rows.contains { $0.verification == "corrected" } && rows.contains { $0.repeats == 3 })
        #expect(rows.first?.refit == .trainValidation && rows.contains { $0.status == .failed })
        #expect(rows.contains { $0.separable != nil } && rows.map(\.rank) == Array(1...rows.count))
    }
}
