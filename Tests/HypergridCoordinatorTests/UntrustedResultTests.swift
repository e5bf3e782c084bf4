import Foundation
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// What the scheduler does with a result the driver could not verify, and the checks and
/// tokens the driver verifies results with.
@Suite struct UntrustedResultTests {
    let w1 = WorkerID("w1"), w2 = WorkerID("w2")

    @Test func aRejectedResultIsAcknowledgedButNeverRecorded() {
        let a = trial(1, cost: 2), b = trial(2, cost: 1)
        var h = Harness([a, b])
        #expect(h.send(.ready(w1, hello("honest")), at: 0).assigns.map(\.1) == [a.id])
        #expect(h.send(.ready(w2, hello("thief")), at: 0).assigns.map(\.1) == [b.id])
        // w2 claims w1's trial: acknowledged so that it stops resending, nothing else.
        let forged = h.send(.rejectedResult(w2, a.id), at: 0.5)
        #expect(forged == [.ack(w2, a.id)])
        #expect(h.journal.isEmpty && h.scheduler.status.running == 2)
        // The honest result is recorded as usual.
        let honest = h.send(.result(w1, a.id, outcome(0.6)), at: 0.6)
        #expect(honest.acks.map(\.1) == [a.id] && h.journal.count == 1)
        if case .trialResult(let record)? = h.journal.first { #expect(record.worker == "honest") }
    }

    @Test func aWorkerThatAnsweredItsAssignmentWithAStaleResultIsAssignedAgain() {
        let a = trial(1, cost: 2)
        var h = Harness([a])
        #expect(h.send(.ready(w1, hello("w")), at: 0).assigns.map(\.2) == [1])
        // Its kept result carries a token of another run directory: after the ack that makes
        // it drop the result, the same attempt is sent again, so that it trains.
        let actions = h.send(.rejectedResult(w1, a.id), at: 0.5)
        #expect(actions == [.ack(w1, a.id), .assign(w1, a, attempt: 1)])
        #expect(h.send(.result(w1, a.id, outcome(0.4)), at: 0.6).summary?.done == 1)
    }

    @Test func tokensBindTheTrialAndTheAttempt() throws {
        let tokens = AssignmentTokens(secret: Array(repeating: 1, count: 32))
        let other = AssignmentTokens(secret: Array(repeating: 2, count: 32))
        let a = trial(1, cost: 1).id, b = trial(2, cost: 1).id
        let token = tokens.token(for: a, attempt: 3)
        #expect(token.count == 32)
        #expect(tokens.isValid(token, for: a, attempt: 3))
        #expect(!tokens.isValid(token, for: a, attempt: 4))
        #expect(!tokens.isValid(token, for: b, attempt: 3))
        #expect(!other.isValid(token, for: a, attempt: 3))
        #expect(!tokens.isValid([], for: a, attempt: 3))
        #expect(!tokens.isValid(Array(token.dropLast()), for: a, attempt: 3))
    }

    /// Pinned to HMAC-SHA256 over `hypergrid-assignment\n<id>\n<attempt>` (the value is Python's
    /// `hmac` module's), so that tokens issued before a coordinator restart stay valid; the
    /// keyed state each token copies is not used up by the first one.
    @Test func aTokenIsTheHMACOfTheTrialAndTheAttempt() throws {
        let id = try #require(TrialID(hex: String(repeating: "ab", count: 32)))
        let tokens = AssignmentTokens(secret: Array(repeating: 1, count: 32))
        let hex = tokens.token(for: id, attempt: 7).map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        #expect(hex == "cf4c80b25f146d70e271c19e44ed112889ccaf644ddcfdd4ce0b93e932b7ca6d")
        _ = tokens.token(for: trial(1, cost: 1).id, attempt: 1)
        #expect(tokens.token(for: id, attempt: 7) == tokens.token(for: id, attempt: 7))
        #expect(tokens.isValid(tokens.token(for: id, attempt: 7), for: id, attempt: 7))
    }

    @Test func theSecretIsCreatedOnceWithMode0600() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let first = try AssignmentTokens.load(runDirectory: dir.path)
        let again = try AssignmentTokens.load(runDirectory: dir.path)
        let id = trial(1, cost: 1).id
        #expect(again.token(for: id, attempt: 1) == first.token(for: id, attempt: 1))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.file(AssignmentTokens.fileName))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [AssignmentTokens.fileName])
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir.file(AssignmentTokens.fileName)))
        let damaged = #expect(throws: CoordinatorError.self) { try AssignmentTokens.load(runDirectory: dir.path) }
        #expect(damaged?.description == "\(dir.file(AssignmentTokens.fileName)) holds 3 bytes instead of 32; delete it to make a new one (workers' unacknowledged results will then be trained again).")
    }

    @Test func impossibleNumbersAreNamed() {
        let config = TrialConfig(hidden: [8], batchSize: 10, length: .epochs(2), lossEvery: 5)   // 20 iterations of 100 rows
        func check(_ edit: (inout TrialOutcome) -> Void) -> String? {
            var o = TrialOutcome(metrics: TrialMetrics(status: .done, trainAccuracy: 0.5, validationAccuracy: 0.4,
                                                       iterations: 20, wallSeconds: 1, samplesPerSecond: 200),
                                 history: TrialHistory(lossEvery: 5, loss: [2, 1.5, 1.2, 1.1], trainAccuracy: [0.3, 0.5],
                                                       validationAccuracy: [0.3, 0.4]))
            edit(&o)
            return ResultCheck.problem(with: o, of: config, trainRows: 100)
        }
        #expect(check { _ in } == nil)
        #expect(check { $0 = TrialOutcome(metrics: TrialMetrics(status: .failed, reason: "no data"), history: TrialHistory()) } == nil)
        #expect(check { $0.metrics.validationAccuracy = 1.5 } == "its validation accuracy 1.5 is not a fraction in [0, 1]")
        #expect(check { $0.metrics.testAccuracy = .nan } == "its test accuracy nan is not a fraction in [0, 1]")
        #expect(check { $0.metrics.wallSeconds = -1 } == "its wall time -1.0 is not a finite, non-negative number")
        #expect(check { $0.metrics.samplesPerSecond = .infinity } == "its throughput inf is not a finite, non-negative number")
        #expect(check { $0.metrics.iterations = 21 } == "it claims 21 iterations of a trial of 20")
        #expect(check { $0.history.lossEvery = 1 } == "its loss history is sampled every 1 iterations, not every 5")
        #expect(check { $0.history.loss += [1, 1] } == "its loss history has 6 entries, more than 20 iterations make")
        #expect(check { $0.history.trainAccuracy += [0.1, 0.1] } == "its accuracy history has more entries than the trial has epochs")
        #expect(check { $0.history.validationAccuracy[0] = -0.5 } == "its accuracy history holds -0.5, not a fraction in [0, 1]")
    }

    /// The bounds are those of what the trainer trains for the assignment: a halving rung
    /// stops at its budget, a refit on train+validation has more rows per epoch, and only
    /// continuations resume and only the refit measures the test split.
    @Test func halvingRungsAndTheRefitAreBoundedByWhatTheyTrain() {
        var rung = TrialConfig(hidden: [8], batchSize: 10, length: .epochs(9), lossEvery: 5)
        rung.stopAfterEpochs = 3   // 30 of the schedule's 90 iterations on 100 rows
        func outcome(iterations: Int, epochs: Int, losses: Int) -> TrialOutcome {
            TrialOutcome(metrics: TrialMetrics(status: .done, trainAccuracy: 0.5, validationAccuracy: 0.4,
                                               iterations: iterations, wallSeconds: 1, samplesPerSecond: 200),
                         history: TrialHistory(lossEvery: 5, loss: Array(repeating: 1, count: losses),
                                               trainAccuracy: Array(repeating: 0.5, count: epochs),
                                               validationAccuracy: Array(repeating: 0.4, count: epochs)))
        }
        let honest = outcome(iterations: 30, epochs: 3, losses: 6)
        #expect(ResultCheck.problem(with: honest, of: rung, trainRows: 100) == nil)
        #expect(ResultCheck.problem(with: outcome(iterations: 31, epochs: 3, losses: 6), of: rung, trainRows: 100)
                == "it claims 31 iterations of a trial of 30")
        #expect(ResultCheck.problem(with: outcome(iterations: 30, epochs: 3, losses: 8), of: rung, trainRows: 100)
                == "its loss history has 8 entries, more than 30 iterations make")
        #expect(ResultCheck.problem(with: outcome(iterations: 30, epochs: 5, losses: 6), of: rung, trainRows: 100)
                == "its accuracy history has more entries than the trial has epochs")

        // A continuation (the next rung, 9 epochs from the 3-epoch checkpoint) may say so.
        var next = rung
        next.stopAfterEpochs = nil
        var resumed = outcome(iterations: 90, epochs: 9, losses: 18)
        resumed.metrics.resumedAt = 30
        #expect(ResultCheck.problem(with: resumed, of: next, trainRows: 100, resumable: true) == nil)
        #expect(ResultCheck.problem(with: resumed, of: next, trainRows: 100)
                == "it claims to have continued from a checkpoint at iteration 30, but it was given none")
        resumed.metrics.resumedAt = 91
        #expect(ResultCheck.problem(with: resumed, of: next, trainRows: 100, resumable: true)
                == "it claims to have continued from iteration 91 of its 90")

        // The refit on train+validation trains 9 epochs of 100 + 20 rows: 108 iterations, and
        // is the one trial that reports a test accuracy.
        var refit = next
        refit.refit = .trainValidation
        let shape = DatasetShape(features: 4, classes: 2, trainRows: 100, validationRows: 20)
        #expect(refit.trainingRows(in: shape) == 120 && next.trainingRows(in: shape) == 100)
        var refitted = outcome(iterations: 108, epochs: 9, losses: 22)
        refitted.metrics.validationAccuracy = nil
        refitted.history.validationAccuracy = []
        refitted.metrics.testAccuracy = 0.45
        #expect(ResultCheck.problem(with: refitted, of: refit, trainRows: refit.trainingRows(in: shape)) == nil)
        #expect(ResultCheck.problem(with: refitted, of: refit, trainRows: 100) == "it claims 108 iterations of a trial of 90")
        var searched = honest
        searched.metrics.testAccuracy = 0.45
        #expect(ResultCheck.problem(with: searched, of: rung, trainRows: 100)
                == "it reports a test accuracy, which only the final refit measures")
    }

    @Test func networkTextIsPrintable() {
        #expect(NetworkText.printable("host-1:42", limit: 80) == "host-1:42")
        #expect(NetworkText.printable("evil\n12:00:00 coordinator: all done\u{1B}[2J", limit: 80)
                == "evil\u{FFFD}12:00:00 coordinator: all done\u{FFFD}[2J")
        #expect(NetworkText.printable("a\u{202E}b", limit: 80) == "a\u{FFFD}b")
        #expect(NetworkText.printable(String(repeating: "x", count: 100), limit: 5) == "xxxxx…")
        #expect(NetworkText.printable("", limit: 5, empty: "0x00ab") == "0x00ab")
    }
}
