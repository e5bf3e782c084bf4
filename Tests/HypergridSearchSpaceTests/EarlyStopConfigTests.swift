import Foundation
import HypergridSearchSpace
import Testing

/// `training.early_stop` and `training.early_stop_tol`: the rule on its own, the grid keys, and
/// "off" keeping the trial ids of configs from before the fields.
@Suite struct EarlyStopConfigTests {
    @Test func theRuleOnAccuracy() {
        var rule = EarlyStopping(patience: 2, lowerIsBetter: false)
        let decisions = [0.5, 0.6, 0.6, 0.59].enumerated().map { rule.observe($1, epoch: $0 + 1) }
        // A tie is no improvement: the first epoch to reach a value keeps it.
        #expect(decisions == [true, true, false, false])
        #expect(rule.shouldStop && rule.bestEpoch == 2 && rule.best == 0.6)
    }

    @Test func theRuleOnRMSEWithATolerance() {
        var rule = EarlyStopping(patience: 3, tolerance: 1, lowerIsBetter: true)
        // 9.5 is better, but not by more than 1; 8.9 is, by 1.1; a missing figure never improves.
        let first = [10, 9.5, 8.9, .nan].enumerated().map { rule.observe($1, epoch: $0 + 1) }
        #expect(first == [true, false, true, false])
        #expect(!rule.shouldStop && rule.bestEpoch == 3 && rule.epochsWithoutImprovement == 1)
        let then = [8.5, 8.0].enumerated().map { rule.observe($1, epoch: $0 + 5) }
        #expect(then == [false, false] && rule.shouldStop)
    }

    @Test func parsesAndSweepsAndOffKeepsTheTrialID() throws {
        let spec = try GridFileParser.parse(yaml: """
            dataset: {name: synthetic}
            training: {epochs: 20, early_stop: [0, 10], early_stop_tol: 0.01}
            """, file: "g.yaml")
        #expect(spec.axes.pointCount == 2 && spec.axes.sweptParameters == ["early_stop"])
        let (off, on) = (spec.axes.point(0, seed: 0), spec.axes.point(1, seed: 0))
        #expect(off.earlyStop == nil && off.earlyStopTolerance == nil)
        #expect(on.earlyStop == 10 && on.earlyStopTolerance == 0.01 && on.summary.contains("early stop 10 (tol 0.01)"))
        let plain = try GridFileParser.parse(yaml: "dataset: {name: synthetic}\ntraining: {epochs: 20}\n", file: "g.yaml")
        let before = plain.axes.point(0, seed: 0)
        #expect(off == before)
        #expect(TrialID(config: off, datasetFingerprint: "fp") == TrialID(config: before, datasetFingerprint: "fp"))
        #expect(TrialID(config: on, datasetFingerprint: "fp") != TrialID(config: before, datasetFingerprint: "fp"))
        #expect(!String(decoding: off.canonicalJSON, as: UTF8.self).contains("early"))
        #expect(on.validationProblems().isEmpty)
    }

    @Test(arguments: [
        ("dataset: {name: synthetic}\ntraining: {early_stop: -1}\n",
         "bad.yaml:2: training.early_stop: must be a number of epochs, or 0 for off, got -1"),
        ("dataset: {name: synthetic}\ntraining: {early_stop: 2.5}\n",
         "bad.yaml:2: training.early_stop: must be a whole number, got '2.5'"),
        ("dataset: {name: synthetic}\ntraining:\n  early_stop_tol: 0.1\n",
         "bad.yaml:3: training.early_stop_tol: applies only with training.early_stop (a patience in epochs)"),
        ("dataset: {name: synthetic}\ntraining: {early_stop: 5, early_stop_tol: -0.1}\n",
         "bad.yaml:2: training.early_stop_tol: must be zero or positive, got -0.1"),
        ("dataset: {name: synthetic}\ntraining: {epochs: 9, early_stop: [0, 3]}\nsearch: {kind: halving}\n",
         "bad.yaml:3: search.kind: halving does not combine with training.early_stop (halving stops weak points itself); use kind: grid or random"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    /// A tolerance without a patience, from `train --set` or the wire, is a problem of the config.
    @Test func aToleranceAloneIsAProblem() {
        var c = TrialConfig()
        c.earlyStopTolerance = 0.1
        #expect(c.validationProblems().map(\.description) == ["training.early_stop_tol: applies only with training.early_stop (a patience in epochs)"])
        c.earlyStop = 5
        #expect(c.validationProblems().isEmpty)
    }
}
