import Foundation
import Yams

/// Reads grid files (YAML). Validation is strict: unknown keys, wrong types, empty
/// lists, non-positive sizes or rates and out-of-range fractions are errors naming
/// the file, the line and the key; nothing is guessed.
///
/// ```yaml
/// dataset:   {name: cifar10, path: data/cifar-10-batches-bin, pca: 0.9}
/// model:     {hidden: [[256], [256, 128]], batch_norm: [false, true], init: std=1e-4}
/// training:  {optimizer: sgd, learning_rate: [0.1, 0.01], reg: [0.001, 0.0001],
///             decay: 0.95, batch_size: 200, iterations: 5000}
/// search:    {kind: grid, repeats: 1, seed: 0}
/// ```
/// or `search: {kind: halving, factor: 3, min_epochs: 1, final: refit, refit_on: train}`
/// (successive halving up to the single `training.epochs`, see ``HalvingRungs``, then a
/// refit of the best point on `train+validation`, the default, or `train`).
///
/// Model features (all optional, all sweepable): `model.dropout` (a drop probability),
/// `training.horizontal_flip` (true/false; needs image pixels, so not with `dataset.pca`),
/// `training.schedule` (`step` or `cosine`) and `training.warmup_epochs`.
///
/// `hidden` takes one width (`256`), a list of widths to sweep one-hidden-layer nets
/// (`[128, 256]`), or a list of architectures (`[[256], [256, 128, 64]]`).
public enum GridFileParser {
    /// Parses the grid file at `path`.
    public static func parse(contentsOf path: String) throws -> GridSpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path)
                ? "cannot be read as UTF-8 text" : "no such file"
            throw GridFileError(file: path, line: nil, key: "", message: reason)
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses grid-file text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws -> GridSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw GridFileError(file: file, line: yamlErrorLine(error), key: "",
                                message: "is not valid YAML (\(yamlProblem(error)))")
        } catch {
            throw GridFileError(file: file, line: nil, key: "", message: "is not valid YAML")
        }
        guard let root else {
            throw GridFileError(file: file, line: nil, key: "", message: "is empty; it needs at least a dataset and a model or training section")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, key: "", allowed: ["dataset", "model", "training", "search"])
        guard let datasetNode = top["dataset"] else {
            throw GridFileError(file: file, line: root.mark?.line, key: "dataset", message: "is missing; name the data to train on, e.g. dataset: {name: fashion-mnist}")
        }
        let dataset = try parseDataset(datasetNode, reader)
        var axes = ParameterAxes()
        if let model = top["model"] { try parseModel(model, reader, into: &axes) }
        if let training = top["training"] { try parseTraining(training, reader, into: &axes, dataset: dataset) }
        let search = try top["search"].map { try parseSearch($0, reader, axes: axes) } ?? SearchSpec()
        return GridSpec(dataset: dataset, axes: axes, search: search)
    }

    private static func parseDataset(_ node: Node, _ r: NodeReader) throws -> DatasetSpec {
        let m = try r.mapping(node, key: "dataset", allowed: Set(["name", "path", "train_rows", "validation_rows", "test_rows", "standardize", "pca"] + fileDatasetKeys))
        let builtIn = DatasetSpec.Kind.builtIn.map(\.rawValue).joined(separator: ", ")
        if let format = m["format"] {
            if let n = m["name"] { throw r.error(n, "dataset.name", "cannot go with dataset.format; name a built-in dataset or give the format of your file, not both") }
            return try parseFileDataset(m, format: format, node: node, r)
        }
        guard let nameNode = m["name"] else {
            throw r.error(node, "dataset.name", "is missing; one of \(builtIn), or dataset.format (csv, npy, npz, idx) for your own file")
        }
        let name = try r.string(nameNode, key: "dataset.name")
        guard let kind = DatasetSpec.Kind(rawValue: name), !kind.isFileFormat else {
            let hint = DatasetSpec.Kind(rawValue: name)?.isFileFormat == true ? " (for your own file write format: \(name))" : ""
            throw r.error(nameNode, "dataset.name", "unknown dataset '\(name)'; one of \(builtIn)\(hint)")
        }
        // `task` also applies to the built-in synthetic data (regression, below).
        if let key = fileDatasetKeys.first(where: { $0 != "task" && m[$0] != nil }) {
            throw r.error(m[key]!, "dataset.\(key)", "applies to your own files (dataset.format), not to the built-in dataset \(name)")
        }
        var spec = DatasetSpec(kind: kind)
        if let p = m["path"] { spec.path = try r.string(p, key: "dataset.path") }
        if let n = m["train_rows"] { spec.trainRows = try r.int(n, .trainRows) }
        if let n = m["validation_rows"] { spec.validationRows = try r.int(n, .validationRows) }
        // `test_rows: 0` is no test split, as `--test-rows 0`.
        if let n = m["test_rows"] { spec.testRows = try r.int(n, .testRows) }
        if let s = m["standardize"] { spec.standardize = try r.bool(s, key: "dataset.standardize") }
        if let p = m["pca"] { spec.pcaVariance = try r.double(p, .pca) }
        if let t = m["task"] {
            let task = try parseTask(t, r)
            if task == .regression && kind != .synthetic {
                throw r.error(t, "dataset.task", "regression needs float targets, but \(kind.rawValue) has class labels")
            }
            spec.task = task
        }
        // Each value passed its own rule above; what is left are rules across keys.
        if let problem = spec.validationProblems().first {
            let key = problem.field.rawValue
            throw r.error(m[String(key.dropFirst("dataset.".count))] ?? node, key, problem.message)
        }
        return spec
    }

    private static func parseModel(_ node: Node, _ r: NodeReader, into axes: inout ParameterAxes) throws {
        let m = try r.mapping(node, key: "model", allowed: Set(["hidden", "batch_norm", "init", "dropout"]).union(addedKeys("model")))
        try parseAddedFields(m, r, section: "model", into: &axes)
        if let d = m["dropout"] { axes.dropout = try r.list(d, key: "model.dropout") { try r.double($0, .dropout) } }
        if let h = m["hidden"] { axes.hidden = try parseHidden(h, r) }
        if let b = m["batch_norm"] { axes.batchNorm = try r.list(b, key: "model.batch_norm") { try r.bool($0, key: "model.batch_norm") } }
        if let i = m["init"] {
            axes.initScheme = try r.list(i, key: "model.init") { n in
                let text = try r.scalarText(n, key: "model.init")
                guard let scheme = InitScheme(parsing: text) else {
                    throw r.error(n, "model.init", "must be 'he' or a positive standard deviation such as std=1e-4, got '\(text)'")
                }
                return scheme
            }
        }
    }

    /// `256` → [[256]]; `[128, 256]` → [[128], [256]]; `[[256], [256, 128]]` as written.
    private static func parseHidden(_ node: Node, _ r: NodeReader) throws -> [[Int]] {
        let key = "model.hidden"
        if case .scalar = node { return [[try r.int(node, .hidden)]] }
        let items = try r.list(node, key: key) { $0 }
        if items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }) {
            return try items.map { [try r.int($0, .hidden)] }
        }
        return try items.map { item in
            guard case .sequence = item else {
                throw r.error(item, key, "mixes widths and architectures; write every entry as a list, e.g. [[256], [256, 128]]")
            }
            return try r.list(item, key: key) { try r.int($0, .hidden) }
        }
    }

    private static func parseTraining(_ node: Node, _ r: NodeReader, into axes: inout ParameterAxes,
                                      dataset: DatasetSpec) throws {
        let m = try r.mapping(node, key: "training", allowed: Set(["optimizer", "momentum", "learning_rate", "decay", "reg", "batch_size", "iterations", "epochs", "loss_every",
                                                                   "horizontal_flip", "schedule", "warmup_epochs"]).union(addedKeys("training")))
        try parseAddedFields(m, r, section: "training", into: &axes)
        if let n = m["random_crop"], axes.added[ConfigField.randomCrop.rawValue]?.contains(where: { $0 != .int(0) }) == true,
           let problem = dataset.horizontalFlipProblem {
            throw r.error(n, ConfigField.randomCrop.rawValue, problem)
        }
        // A tolerance says what counts as an improvement for early stopping; without a
        // patience it would be dropped without a word.
        if let n = m["early_stop_tol"], m["early_stop"] == nil {
            throw r.error(n, ConfigField.earlyStopTolerance.rawValue, "applies only with training.early_stop (a patience in epochs)")
        }
        try parseTrainingFeatures(m, r, into: &axes, dataset: dataset)
        if let n = m["optimizer"] {
            axes.optimizer = try r.list(n, key: "training.optimizer") { item in
                let text = try r.string(item, key: "training.optimizer")
                guard let kind = OptimizerKind(rawValue: text) else {
                    throw r.error(item, "training.optimizer", "unknown optimizer '\(text)'; one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            }
        }
        // Ranges come from ConfigField (shared with the `train` command and the trainer),
        // checked per list item so that the error names the item's line.
        if let n = m["momentum"] { axes.momentum = try r.list(n, key: "training.momentum") { try r.double($0, .momentum) } }
        if let n = m["learning_rate"] { axes.learningRate = try r.list(n, key: "training.learning_rate") { try r.double($0, .learningRate) } }
        if let n = m["decay"] { axes.learningRateDecay = try r.list(n, key: "training.decay") { try r.double($0, .decay) } }
        if let n = m["reg"] { axes.reg = try r.list(n, key: "training.reg") { try r.double($0, .reg) } }
        if let n = m["batch_size"] { axes.batchSize = try r.list(n, key: "training.batch_size") { try r.int($0, .batchSize) } }
        switch (m["iterations"], m["epochs"]) {
        case (.some(let a), .some):
            throw r.error(a, "training", "give either iterations or epochs, not both")
        case (.some(let n), nil):
            axes.length = try r.list(n, key: "training.iterations") { .iterations(try r.int($0, .iterations)) }
        case (nil, .some(let n)):
            axes.length = try r.list(n, key: "training.epochs") { .epochs(try r.int($0, .epochs)) }
        case (nil, nil):
            break
        }
        if let n = m["loss_every"] { axes.lossEvery = try r.int(n, .lossEvery) }
    }

    /// The training keys of the model features (issue #8).
    private static func parseTrainingFeatures(_ m: [String: Node], _ r: NodeReader, into axes: inout ParameterAxes,
                                              dataset: DatasetSpec) throws {
        if let n = m["horizontal_flip"] {
            axes.horizontalFlip = try r.list(n, key: "training.horizontal_flip") { try r.bool($0, key: "training.horizontal_flip") }
            if axes.horizontalFlip.contains(true), let problem = dataset.horizontalFlipProblem {
                throw r.error(n, "training.horizontal_flip", problem)
            }
        }
        if let n = m["schedule"] {
            axes.schedule = try r.list(n, key: "training.schedule") { item in
                let text = try r.string(item, key: "training.schedule")
                guard let schedule = LearningRateSchedule(rawValue: text) else {
                    throw r.error(item, "training.schedule", "unknown schedule '\(text)'; one of \(LearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return schedule
            }
        }
        if let n = m["warmup_epochs"] {
            axes.warmupEpochs = try r.list(n, key: "training.warmup_epochs") { try r.double($0, .warmupEpochs) }
        }
    }

    /// `dataset.task`: the one task key, of a built-in dataset and of a user's file alike.
    static func parseTask(_ node: Node, _ r: NodeReader) throws -> DatasetSpec.Task {
        let text = try r.string(node, key: "dataset.task")
        guard let task = DatasetSpec.Task(rawValue: text) else {
            throw r.error(node, "dataset.task", "must be classification or regression, got '\(text)'")
        }
        return task
    }

    /// The keys of `section` that fields join through the field table (TrialFieldExtension).
    private static func addedKeys(_ section: String) -> [String] {
        TrialField.extensions.compactMap { entry in
            entry.field.gridKey.hasPrefix(section + ".") ? String(entry.field.gridKey.dropFirst(section.count + 1)) : nil
        }
    }

    /// The values of the fields that join through the field table, as their table entries
    /// describe them; each key takes a value or a list, like every other.
    private static func parseAddedFields(_ m: [String: Node], _ r: NodeReader, section: String,
                                         into axes: inout ParameterAxes) throws {
        for (field, added) in TrialField.extensions where field.gridKey.hasPrefix(section + ".") {
            guard let node = m[String(field.gridKey.dropFirst(section.count + 1))] else { continue }
            axes.added[field.gridKey] = try r.list(node, key: field.gridKey) { item in
                switch added.parse(try r.scalarText(item, key: field.gridKey)) {
                case .success(let value): return value
                case .failure(let problem): throw r.error(item, field.gridKey, problem.description)
                }
            }
        }
    }

    private static func parseSearch(_ node: Node, _ r: NodeReader, axes: ParameterAxes) throws -> SearchSpec {
        let m = try r.mapping(node, key: "search", allowed: ["kind", "samples", "seed", "repeats", "factor", "min_epochs", "final", "refit_on", "keep_models", "trial_timeout", "verify"])
        var spec = SearchSpec()
        if let n = m["seed"] {
            let v = try r.int(n, key: "search.seed")
            guard v >= 0 else { throw r.error(n, "search.seed", "must be zero or positive, got \(v)") }
            spec.seed = UInt64(v)
        }
        if let n = m["repeats"] { spec.repeats = try r.positiveInt(n, key: "search.repeats") }
        if let n = m["keep_models"] {
            let v = try r.int(n, key: "search.keep_models")
            guard v >= 0 else { throw r.error(n, "search.keep_models", "must be zero or positive, got \(v)") }
            spec.keepModels = v
        }
        if let n = m["trial_timeout"] {
            let seconds = try r.double(n, key: "search.trial_timeout")
            guard seconds > 0, seconds.isFinite else { throw r.error(n, "search.trial_timeout", "must be a positive number of seconds, got \(seconds)") }
            spec.trialTimeout = seconds
        }
        if let n = m["verify"] {
            let fraction = try r.double(n, key: "search.verify")
            guard fraction >= 0, fraction <= 1 else {
                throw r.error(n, "search.verify", "must be a fraction of the trials from 0 to 1, got \(fraction)")
            }
            spec.verify = fraction
        }
        let kind = try m["kind"].map { try r.string($0, key: "search.kind") } ?? "grid"
        if kind != "halving" {
            for key in ["factor", "min_epochs"] {
                if let n = m[key] { throw r.error(n, "search.\(key)", "applies only to kind: halving") }
            }
        }
        switch kind {
        case "grid":
            if let s = m["samples"] { throw r.error(s, "search.samples", "applies only to kind: random") }
            spec.kind = .grid
        case "random":
            guard let s = m["samples"] else { throw r.error(node, "search.samples", "is required with kind: random") }
            let n = try r.positiveInt(s, key: "search.samples")
            guard n <= axes.pointCount else {
                throw r.error(s, "search.samples", "asks for \(n) points but the grid has only \(axes.pointCount)")
            }
            spec.kind = .random(samples: n)
        case "halving":
            if let s = m["samples"] { throw r.error(s, "search.samples", "applies only to kind: random") }
            spec.kind = .halving(try parseHalving(m, node, r, axes: axes))
        default:
            throw r.error(m["kind"] ?? node, "search.kind", "unknown search kind '\(kind)'; one of grid, random, halving")
        }
        if let n = m["final"] {
            let text = try r.string(n, key: "search.final")
            guard text == "refit" else { throw r.error(n, "search.final", "unknown final step '\(text)'; the one there is: refit") }
            spec.refit = .trainValidation
        }
        if let n = m["refit_on"] {
            guard spec.refit != nil else { throw r.error(n, "search.refit_on", "applies only with final: refit") }
            let text = try r.string(n, key: "search.refit_on")
            guard let data = RefitData(rawValue: text) else {
                throw r.error(n, "search.refit_on", "unknown data '\(text)'; one of \(RefitData.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            spec.refit = data
        }
        return spec
    }

    /// `factor` (default 3) and `min_epochs` (default 1); the largest budget is the grid's
    /// single `training.epochs` value.
    private static func parseHalving(_ m: [String: Node], _ node: Node, _ r: NodeReader,
                                     axes: ParameterAxes) throws -> HalvingRungs {
        let factor = try m["factor"].map { try r.int($0, key: "search.factor") } ?? 3
        guard factor >= 2 else { throw r.error(m["factor"] ?? node, "search.factor", "must be at least 2, got \(factor)") }
        let minEpochs = try m["min_epochs"].map { try r.positiveInt($0, key: "search.min_epochs") } ?? 1
        guard axes.length.count == 1, case .epochs(let maxEpochs) = axes.length[0] else {
            throw r.error(node, "search.kind", "halving needs training.epochs as one number, the last rung's budget (not iterations or a list)")
        }
        // A halving rung continues a trial from its checkpoint; an early-stopped trial has gone
        // back to its best epoch's weights and has nothing to continue from, and halving
        // already stops the weak points early.
        if let values = axes.added[ConfigField.earlyStop.rawValue],
           values.contains(where: { if case .int(let n) = $0 { n > 0 } else { false } }) {
            throw r.error(node, "search.kind", "halving does not combine with training.early_stop (halving stops weak points itself); use kind: grid or random")
        }
        guard minEpochs <= maxEpochs else {
            throw r.error(m["min_epochs"] ?? node, "search.min_epochs", "is \(minEpochs), more than training.epochs (\(maxEpochs))")
        }
        return HalvingRungs(factor: factor, minEpochs: minEpochs, maxEpochs: maxEpochs)
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _),
             .reader(let problem, _, _, _): return problem
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "syntax error"
        }
    }
}
