import Testing
@testable import HypergridSearchSpace

@Suite struct HalvingGridFileTests {
    @Test func parsesHalvingAndRefit() throws {
        let spec = try GridFileParser.parse(yaml: """
            dataset: {name: synthetic}
            model: {hidden: [8, 16]}
            training: {learning_rate: [0.1, 0.01], epochs: 9}
            search: {kind: halving, factor: 3, min_epochs: 1, repeats: 2, final: refit, refit_on: train}
            """, file: "h.yaml")
        #expect(spec.search.kind == .halving(HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 9)))
        #expect(spec.search.refit == .train && spec.search.repeats == 2 && spec.isStaged)
        let defaults = try GridFileParser.parse(yaml: "dataset: {name: synthetic}\ntraining: {epochs: 4}\nsearch: {kind: halving, final: refit}\n", file: "h.yaml")
        #expect(defaults.search.kind == .halving(HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 4)))
        #expect(defaults.search.refit == .trainValidation)
        // The first rung: every point and repeat, one epoch of the 9-epoch schedule.
        let plan = spec.plan(datasetFingerprint: "f", shape: DatasetShape(features: 4, classes: 2, trainRows: 100))
        #expect(plan.count == 8 && plan.allSatisfy { $0.rung == 0 && $0.config.stopAfterEpochs == 1 && $0.saveCheckpoint })
        #expect(plan.allSatisfy { $0.config.length == .epochs(9) && $0.resumeFrom == nil })
    }

    @Test(arguments: [
        ("dataset: {name: cifar10}\ntraining: {iterations: 100}\nsearch: {kind: halving}\n", "bad.yaml:3: search.kind: halving needs training.epochs as one number, the last rung's budget (not iterations or a list)"),
        ("dataset: {name: cifar10}\ntraining: {epochs: [3, 9]}\nsearch: {kind: halving}\n", "bad.yaml:3: search.kind: halving needs training.epochs as one number, the last rung's budget (not iterations or a list)"),
        ("dataset: {name: cifar10}\ntraining: {epochs: 9}\nsearch: {kind: halving, factor: 1}\n", "bad.yaml:3: search.factor: must be at least 2, got 1"),
        ("dataset: {name: cifar10}\ntraining: {epochs: 9}\nsearch: {kind: halving, min_epochs: 10}\n", "bad.yaml:3: search.min_epochs: is 10, more than training.epochs (9)"),
        ("dataset: {name: cifar10}\ntraining: {epochs: 9}\nsearch: {kind: grid, factor: 3}\n", "bad.yaml:3: search.factor: applies only to kind: halving"),
        ("dataset: {name: cifar10}\nsearch: {final: retrain}\n", "bad.yaml:2: search.final: unknown final step 'retrain'; the one there is: refit"),
        ("dataset: {name: cifar10}\nsearch: {refit_on: train}\n", "bad.yaml:2: search.refit_on: applies only with final: refit"),
        ("dataset: {name: cifar10}\nsearch: {final: refit, refit_on: test}\n", "bad.yaml:2: search.refit_on: unknown data 'test'; one of train+validation, train"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    @Test func plainTrialIDsDoNotChange() {
        // The new fields are left out of the canonical JSON when unset.
        let config = TrialConfig(hidden: [256], learningRate: 0.1, reg: 0.001, length: .iterations(5000), seed: 0)
        #expect(!String(decoding: config.canonicalJSON, as: UTF8.self).contains("stopAfterEpochs"))
        var budgeted = config
        budgeted.stopAfterEpochs = 1
        #expect(TrialID(config: budgeted, datasetFingerprint: "f") != TrialID(config: config, datasetFingerprint: "f"))
        var refit = config
        refit.refit = .train
        #expect(TrialID(config: refit, datasetFingerprint: "f") != TrialID(config: config, datasetFingerprint: "f"))
    }
}
