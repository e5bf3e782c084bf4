import ArgumentParser
import Foundation
import HypergridData
import HypergridKernel
import HypergridPreprocessing
import HypergridSearchSpace
import HypergridTraining

/// `hypergrid train`: one trial in this process, with progress per epoch.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one multi-layer perceptron and print its accuracies.",
        discussion: """
        Example (the seed's best two-layer configuration, from the repository's root after
        scripts/download-cifar10.sh):
          hypergrid train --dataset cifar10 --data data/cifar-10-batches-bin \\
            --hidden 256 --lr 0.1 --reg 0.001 --iterations 5000 --pca 0.9
        """)

    @OptionGroup var data: DataOptions

    @Option(help: "Hidden layer widths, input side first: 256 or 256,128,64.")
    var hidden: String = "256"
    @Flag(name: .customLong("batch-norm"), help: "BatchNorm1d after each hidden affine layer.")
    var batchNorm = false
    @Option(help: "sgd, momentum, nesterov or adam.")
    var optimizer: String = "sgd"
    @Option(help: "Momentum for momentum/nesterov.")
    var momentum: Double = 0.9
    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate: Double = 1e-3
    @Option(help: "Learning-rate factor applied after every epoch.")
    var decay: Double = 0.95
    @Option(help: "L2 strength: the loss adds reg times the sum of squared weights (weight matrices only).")
    var reg: Double = 0
    @Option(name: .customLong("batch-size"), help: "Minibatch size (sampled with replacement).")
    var batchSize: Int = 200
    @Option(help: "Train this many iterations (default 1000 unless --epochs is given).")
    var iterations: Int?
    @Option(help: "Train this many epochs instead of --iterations.")
    var epochs: Int?
    @Option(name: .customLong("init-std"), help: "Gaussian init standard deviation (the seed: 1e-4).")
    var initStd: Double?
    @Flag(name: .customLong("he-init"), help: "He initialisation instead of a fixed deviation.")
    var heInit = false
    @Option(help: "Seed for initialisation and minibatch sampling.")
    var seed: UInt64 = 0
    @Option(name: .customLong("loss-every"), help: "Record the loss every this many iterations.")
    var lossEvery: Int = 1
    @Option(help: "Dropout rate after every hidden ReLU, in [0, 1) (default 0: none).")
    var dropout: Double = 0
    @Flag(name: .customLong("horizontal-flip"), help: "Mirror half of each minibatch's images left to right (needs image pixels: not with --pca).")
    var horizontalFlip = false
    @Option(help: "Learning-rate schedule: step (times --decay every epoch) or cosine (to 0 over the run).")
    var schedule: String = "step"
    @Option(name: .customLong("warmup-epochs"), help: "Epochs of linear learning-rate warm-up (default 0: none).")
    var warmupEpochs: Double = 0
    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Set a trial field that has no flag of its own, by its grid key (repeatable); "
                               + "the keys: " + Train.settableKeys + ".", valueName: "key=value"))
    var settings: [String] = []
    @Option(help: "Threads for this trial; the results are bit-identical at any count.")
    var threads: Int = 1
    @Flag(help: "Print one JSON object (configuration, metrics, history) instead of text.")
    var json = false
    @Option(name: .customLong("save-model"), help: "Write the trained model (pipeline, architecture, weights) to this .hgmodel file.")
    var saveModel: String?

    func validate() throws {
        // Flag combinations and text parsing are this command's; value ranges are the
        // config's own rules (shared with grid files and the trainer).
        if iterations != nil && epochs != nil { throw ValidationError("Give either --iterations or --epochs, not both.") }
        if heInit && initStd != nil { throw ValidationError("Give either --he-init or --init-std, not both.") }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        try applyKernelChoice()
        if let problem = try config().validationProblems(for: try data.spec()).first { throw problem.validationError }
        try data.validate()
    }

    func parsedHidden() throws -> [Int] {
        let parts = hidden.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--hidden must be positive widths separated by commas, e.g. 256,128,64; got '\(hidden)'.")
        }
        return widths.map { $0! }
    }

    func parsedOptimizer() throws -> OptimizerKind {
        guard let kind = OptimizerKind(rawValue: optimizer) else {
            throw ValidationError("--optimizer must be one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")); got '\(optimizer)'.")
        }
        return kind
    }

    func parsedSchedule() throws -> LearningRateSchedule {
        guard let schedule = LearningRateSchedule(rawValue: schedule) else {
            throw ValidationError("--schedule must be one of \(LearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", ")); got '\(schedule)'.")
        }
        return schedule
    }

    func config() throws -> TrialConfig {
        var config = TrialConfig(hidden: try parsedHidden(), batchNorm: batchNorm, optimizer: try parsedOptimizer(),
                                 momentum: momentum, learningRate: learningRate, learningRateDecay: decay, reg: reg,
                                 batchSize: batchSize,
                                 length: epochs.map { .epochs($0) } ?? .iterations(iterations ?? 1000),
                                 initScheme: heInit ? .he : .gaussian(std: initStd ?? 1e-4),
                                 seed: seed, lossEvery: lossEvery)
        config.dropout = dropout
        config.horizontalFlip = horizontalFlip
        config.schedule = try parsedSchedule()
        config.warmupEpochs = warmupEpochs
        for setting in settings { try apply(setting, to: &config) }
        // Off is nil, as in grid files: the same trial id for the same training.
        return config.canonicalized
    }

    /// The grid keys `--set` takes: the fields added through the field table.
    static var settableKeys: String {
        let keys = TrialField.extensions.map(\.field.gridKey)
        return keys.isEmpty ? "none in this version" : keys.joined(separator: ", ")
    }

    /// Applies one `--set KEY=VALUE` through the field table (TrialFieldExtension).
    func apply(_ setting: String, to config: inout TrialConfig) throws {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let (_, added) = TrialField.extensionField(gridKey: parts[0]) else {
            throw ValidationError("--set takes KEY=VALUE with the grid key of a trial field listed by hypergrid train --help; got '\(setting)'.")
        }
        switch added.parse(parts[1]) {
        case .success(let value): added.assign(value, to: &config)
        case .failure(let problem): throw ValidationError("--set \(parts[0]) \(problem).")
        }
    }

    func run() throws {
        let config = try config()
        let modelURL = try saveModel.map { try OutputPath.checked($0, what: "model file") }
        let log: (String) -> Void = { line in if !json { printError(line) } }
        log("GEMM kernels: \(GEMMKernelPath.active)")
        let prepared = try data.prepare(log: log)
        let splits = prepared.splits
        if !json {
            let pca = prepared.pcaComponents.map { ", PCA \($0) components" } ?? ""
            if let summary = prepared.summary, prepared.loadedFromCache { print("dataset \(summary)") }
            print("\(splits.name): train \(splits.train.rows), validation \(splits.validation.rows), test \(splits.test.rows) rows of \(splits.featureCount) features\(pca) (\(prepared.cacheStatus))")
        }
        let totalIterations = config.length.iterationCount(trainRows: splits.train.rows, batchSize: config.batchSize)
        let totalEpochs = (totalIterations + max(splits.train.rows / config.batchSize, 1) - 1) / max(splits.train.rows / config.batchSize, 1)
        let (outcome, finalState, _) = Trainer(threads: threads).trainWithCheckpoints(
            config: config, data: splits, evaluateTest: true, saveCheckpoint: modelURL != nil, progress: { report in
            if !json {
                let loss = report.loss.map { String(format: "%.4f", $0) } ?? "-"
                if let rmse = report.validationRMSE {
                    print(String(format: "epoch %3d/%d  iteration %6d/%d  lr %.3g  loss %@  val RMSE %.4g",
                                 report.epoch, totalEpochs, report.iteration, report.totalIterations,
                                 report.learningRate, loss, rmse))
                } else {
                    let val = report.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-"
                    print(String(format: "epoch %3d/%d  iteration %6d/%d  lr %.3g  loss %@  train %.4f  val %@",
                                 report.epoch, totalEpochs, report.iteration, report.totalIterations,
                                 report.learningRate, loss, report.trainAccuracy, val))
                }
                fflush(stdout)
            }
            return true
        })
        let report = TrainReport(config: config, prepared: prepared, outcome: outcome,
                                 peakRSSBytes: ResourceUsage.peakResidentBytes())
        if json {
            print(try report.jsonString())
        } else {
            print(report.summary)
        }
        if let modelURL, let finalState {
            let model = try SavedModel.make(config: config, prepared: prepared, metrics: outcome.metrics, state: finalState)
            let bytes = try SavedModel.write(model, to: modelURL)
            log("Wrote the model to \(modelURL.path) (\(bytes) bytes).")
        } else if modelURL != nil {
            printError("No model written: the trial ended \(outcome.metrics.status.rawValue).")
        }
        if outcome.metrics.status == .failed { throw ExitCode(2) }
    }
}
