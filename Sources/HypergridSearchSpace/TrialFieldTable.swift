// The one table of trial fields: each hyperparameter's grid key, `train` flag, range rule,
// leaderboard columns, table cell and summary (TrialField), and the range rules themselves
// (ConfigField, shared with the dataset's values). Adding a trial field is one entry here,
// a stored property of TrialConfig, and its use in the trainer (docs/architecture.md).

extension TrialField {
    /// Every field, in the order of the leaderboard's columns and the summary.
    public static let all: [TrialField] = [
        TrialField(gridKey: "model.hidden", flag: "hidden", range: .hidden, columns: ["hidden"],
                   placement: .original, tableHeader: "hidden", rightAligned: false,
                   checkValues: { c in
                       if c.hidden.isEmpty { return [ConfigProblem(.hidden, "must give at least one layer width")] }
                       // One problem per field: the first bad width is enough to act on.
                       return check(.hidden, c.hidden.first { ConfigField.hidden.problem($0) != nil })
                   },
                   csvCells: { [$0.hiddenText] },
                   parseCells: { cells, c in
                       let widths = cells[0].isEmpty ? [] : cells[0].split(separator: "-").map { Int($0) }
                       guard widths.allSatisfy({ $0 != nil }) else { return false }
                       c.hidden = widths.map { $0! }
                       return true
                   },
                   jsonCells: { [.ints($0.hidden)] },
                   tableText: { $0.hidden.isEmpty ? "-" : $0.hiddenText },
                   summaryText: { "hidden " + ($0.hidden.isEmpty ? "none" : $0.hiddenText) }),
        TrialField(gridKey: "model.batch_norm", flag: "batch-norm", range: nil, columns: ["batch_norm"],
                   placement: .original, tableHeader: "bn", rightAligned: false,
                   checkValues: { _ in [] },
                   csvCells: { ["\($0.batchNorm)"] },
                   parseCells: { cells, c in Bool(cells[0]).map { c.batchNorm = $0 } != nil },
                   jsonCells: { [.bool($0.batchNorm)] },
                   tableText: { $0.batchNorm ? "yes" : "no" },
                   summaryText: { $0.batchNorm ? "bn" : nil }),
        // The optimizer and its momentum share the table's column and the summary's word:
        // `momentum(0.9)`; the momentum of an optimizer without one is not shown.
        TrialField(gridKey: "training.optimizer", flag: "optimizer", range: nil, columns: ["optimizer"],
                   placement: .original, tableHeader: "optimizer", rightAligned: false,
                   checkValues: { _ in [] },
                   csvCells: { [$0.optimizer.rawValue] },
                   parseCells: { cells, c in OptimizerKind(rawValue: cells[0]).map { c.optimizer = $0 } != nil },
                   jsonCells: { [.string($0.optimizer.rawValue)] },
                   tableText: { $0.optimizerText },
                   summaryText: { $0.optimizerText }),
        TrialField(gridKey: "training.momentum", flag: "momentum", range: .momentum, columns: ["momentum"],
                   placement: .original, tableHeader: "", rightAligned: true,
                   checkValues: { check(.momentum, $0.momentum) },
                   csvCells: { [$0.usesMomentum ? "\($0.momentum)" : ""] },
                   parseCells: { cells, c in
                       if cells[0].isEmpty { return true }
                       return Double(cells[0]).map { c.momentum = $0 } != nil
                   },
                   jsonCells: { [$0.usesMomentum ? .double($0.momentum) : .null] },
                   tableText: { _ in "" },
                   summaryText: { _ in nil }),
        TrialField(gridKey: "training.learning_rate", flag: "lr", range: .learningRate, columns: ["lr"],
                   placement: .original, tableHeader: "lr", rightAligned: true,
                   checkValues: { check(.learningRate, $0.learningRate) },
                   csvCells: { ["\($0.learningRate)"] },
                   parseCells: { cells, c in Double(cells[0]).map { c.learningRate = $0 } != nil },
                   jsonCells: { [.double($0.learningRate)] },
                   tableText: { "\($0.learningRate)" },
                   summaryText: { "lr \($0.learningRate)" }),
        TrialField(gridKey: "training.decay", flag: "decay", range: .decay, columns: ["lr_decay"],
                   placement: .original, tableHeader: "decay", rightAligned: true,
                   checkValues: { check(.decay, $0.learningRateDecay) },
                   csvCells: { ["\($0.learningRateDecay)"] },
                   parseCells: { cells, c in Double(cells[0]).map { c.learningRateDecay = $0 } != nil },
                   jsonCells: { [.double($0.learningRateDecay)] },
                   tableText: { "\($0.learningRateDecay)" },
                   summaryText: { "decay \($0.learningRateDecay)" }),
        TrialField(gridKey: "training.reg", flag: "reg", range: .reg, columns: ["reg"],
                   placement: .original, tableHeader: "reg", rightAligned: true,
                   checkValues: { check(.reg, $0.reg) },
                   csvCells: { ["\($0.reg)"] },
                   parseCells: { cells, c in Double(cells[0]).map { c.reg = $0 } != nil },
                   jsonCells: { [.double($0.reg)] },
                   tableText: { "\($0.reg)" },
                   summaryText: { "reg \($0.reg)" }),
        TrialField(gridKey: "training.batch_size", flag: "batch-size", range: .batchSize, columns: ["batch_size"],
                   placement: .original, tableHeader: "batch", rightAligned: true,
                   checkValues: { check(.batchSize, $0.batchSize) },
                   csvCells: { ["\($0.batchSize)"] },
                   parseCells: { cells, c in Int(cells[0]).map { c.batchSize = $0 } != nil },
                   jsonCells: { [.int($0.batchSize)] },
                   tableText: { "\($0.batchSize)" },
                   summaryText: { "batch \($0.batchSize)" }),
        // One field, two keys and columns: `iterations` or `epochs`. The halving budget a
        // row's metrics are at (`stopAfterEpochs`) shows with it: `3 of 9ep`.
        TrialField(gridKey: "training.iterations|training.epochs", flag: "iterations|epochs", range: nil,
                   columns: ["iterations", "epochs"],
                   placement: .original, tableHeader: "length", rightAligned: true,
                   checkValues: { c in
                       switch c.length {
                       case .iterations(let n): return check(.iterations, n)
                       case .epochs(let n): return check(.epochs, n)
                       }
                   },
                   csvCells: { c in
                       switch c.length {
                       case .iterations(let n): return ["\(n)", ""]
                       case .epochs(let n): return ["", "\(n)"]
                       }
                   },
                   parseCells: { cells, c in
                       if let n = Int(cells[0]), cells[1].isEmpty { c.length = .iterations(n); return true }
                       if let n = Int(cells[1]), cells[0].isEmpty { c.length = .epochs(n); return true }
                       return false
                   },
                   jsonCells: { c in
                       switch c.length {
                       case .iterations(let n): return [.int(n), .null]
                       case .epochs(let n): return [.null, .int(n)]
                       }
                   },
                   tableText: { c in
                       let length: String
                       switch c.length {
                       case .iterations(let n): length = "\(n)it"
                       case .epochs(let n): length = "\(n)ep"
                       }
                       return c.stopAfterEpochs.map { "\($0) of " + length } ?? length
                   },
                   summaryText: { c in
                       switch c.length {
                       case .iterations(let n): return "\(n) it"
                       case .epochs(let n): return "\(n) ep" + (c.stopAfterEpochs.map { " (stop after \($0))" } ?? "")
                       }
                   }),
        TrialField(gridKey: "model.init", flag: "init-std|he-init", range: .initStd, columns: ["init"],
                   placement: .original, tableHeader: "init", rightAligned: false,
                   checkValues: { c in
                       if case .gaussian(let std) = c.initScheme { return check(.initStd, std) }
                       return []
                   },
                   csvCells: { [$0.initScheme.description] },
                   parseCells: { cells, c in InitScheme(parsing: cells[0]).map { c.initScheme = $0 } != nil },
                   jsonCells: { [.string($0.initScheme.description)] },
                   tableText: { $0.initScheme.description },
                   summaryText: { "init \($0.initScheme.description)" }),
        // The model features share one column, `dropout=0.3 flip cosine warmup=1.0`
        // (TrialConfig+Features.swift), empty when all are off.
        TrialField(gridKey: "model.dropout|training.horizontal_flip|training.schedule|training.warmup_epochs",
                   flag: "dropout|horizontal-flip|schedule|warmup-epochs", range: nil, columns: ["features"],
                   placement: .appended, tableHeader: "features", rightAligned: false,
                   checkValues: { check(.dropout, $0.dropout) + check(.warmupEpochs, $0.warmupEpochs) },
                   csvCells: { [$0.featureSummary] },
                   parseCells: { cells, c in c.setFeatures(fromSummary: cells[0]) },
                   jsonCells: { [.string($0.featureSummary)] },
                   tableText: { $0.featureSummary.isEmpty ? "-" : $0.featureSummary },
                   summaryText: { $0.featureSummary.isEmpty ? nil : $0.featureSummary }),
        // How often the loss is recorded: a trial field (grid files, `--loss-every`, the
        // trial id) that the leaderboard and the summary leave out.
        TrialField(gridKey: "training.loss_every", flag: "loss-every", range: .lossEvery, columns: [],
                   placement: .appended, tableHeader: "", rightAligned: true,
                   checkValues: { check(.lossEvery, $0.lossEvery) },
                   csvCells: { _ in [] }, parseCells: { _, _ in true }, jsonCells: { _ in [] },
                   tableText: { _ in "" }, summaryText: { _ in nil }),
        // Early stopping (issue 15, TrialConfig+EarlyStop.swift): the patience in epochs and
        // the improvement that counts. Off (nil) leaves configs, ids and wire bytes as before.
        TrialField(gridKey: "training.early_stop", flag: "set training.early_stop", range: .earlyStop,
                   columns: ["early_stop"], placement: .appended, tableHeader: "early stop", rightAligned: true,
                   added: TrialFieldExtension(
                       propertyName: "earlyStop", kind: .int(.earlyStop), off: .null, example: .int(10), wireVersion: 5,
                       get: { $0.earlyStop.map { .int($0) } ?? .null },
                       set: { c, v in if case .int(let n) = v { c.earlyStop = n } else { c.earlyStop = nil } }),
                   checkValues: { check(.earlyStop, $0.earlyStop) },
                   csvCells: { [$0.earlyStop.map { "\($0)" } ?? ""] },
                   parseCells: { cells, c in
                       if cells[0].isEmpty { c.earlyStop = nil; return true }
                       return Int(cells[0]).map { c.earlyStop = $0 } != nil
                   },
                   jsonCells: { [$0.earlyStop.map { .int($0) } ?? .null] },
                   tableText: { $0.earlyStop.map { "\($0)" } ?? "-" },
                   summaryText: { $0.earlyStopText }),
        TrialField(gridKey: "training.early_stop_tol", flag: "set training.early_stop_tol", range: .earlyStopTolerance,
                   columns: ["early_stop_tol"], placement: .appended, tableHeader: "tol", rightAligned: true,
                   added: TrialFieldExtension(
                       propertyName: "earlyStopTolerance", kind: .double(.earlyStopTolerance), off: .null,
                       example: .double(0.01), wireVersion: 5,
                       get: { $0.earlyStopTolerance.map { .double($0) } ?? .null },
                       set: { c, v in if case .double(let x) = v { c.earlyStopTolerance = x } else { c.earlyStopTolerance = nil } }),
                   checkValues: { c in
                       // A tolerance says what counts as an improvement for early stopping;
                       // without it, it would be ignored without a word.
                       if c.earlyStopTolerance != nil && c.earlyStop == nil {
                           return [ConfigProblem(.earlyStopTolerance, "applies only with training.early_stop (a patience in epochs)")]
                       }
                       return check(.earlyStopTolerance, c.earlyStopTolerance)
                   },
                   csvCells: { [$0.earlyStopTolerance.map { "\($0)" } ?? ""] },
                   parseCells: { cells, c in
                       if cells[0].isEmpty { c.earlyStopTolerance = nil; return true }
                       return Double(cells[0]).map { c.earlyStopTolerance = $0 } != nil
                   },
                   jsonCells: { [$0.earlyStopTolerance.map { .double($0) } ?? .null] },
                   tableText: { $0.earlyStopTolerance.map { "\($0)" } ?? "-" },
                   // Part of early_stop's summary: `early stop 10 (tol 0.01)`.
                   summaryText: { _ in nil }),
    ] + trainingFeatureFields

    /// The training features of issue 19 (docs/higher-accuracy.md), joined through the table.
    static let trainingFeatureFields: [TrialField] = [
        .added(gridKey: "training.random_crop", range: .randomCrop, column: "random_crop", header: "crop",
               word: "crop", kind: .int(.randomCrop), example: .int(4), property: "randomCrop",
               get: { $0.randomCrop.map { .int($0) } ?? .null },
               set: { c, v in if case .int(let n) = v, n != 0 { c.randomCrop = n } else { c.randomCrop = nil } }),
        .added(gridKey: "training.label_smoothing", range: .labelSmoothing, column: "label_smoothing",
               header: "smooth", word: "smooth", kind: .double(.labelSmoothing), example: .double(0.1),
               property: "labelSmoothing",
               get: { $0.labelSmoothing.map { .double($0) } ?? .null },
               set: { c, v in if case .double(let x) = v, x != 0 { c.labelSmoothing = x } else { c.labelSmoothing = nil } }),
        .added(gridKey: "training.weight_decay", range: .weightDecay, column: "weight_decay", header: "wd",
               word: "wd", kind: .double(.weightDecay), example: .double(0.05), property: "weightDecay",
               get: { $0.weightDecay.map { .double($0) } ?? .null },
               set: { c, v in if case .double(let x) = v, x != 0 { c.weightDecay = x } else { c.weightDecay = nil } }),
        // Epoch-wise shuffling instead of sampling with replacement (the seed-gap study in
        // docs/reproducing-the-seed.md: PyTorch's DataLoader shuffles).
        .added(gridKey: "training.shuffle", range: .shuffle, column: "shuffle", header: "shuffle",
               word: "shuffle", kind: .bool, example: .bool(true), property: "shuffle",
               get: { $0.shuffle.map { .bool($0) } ?? .null },
               set: { c, v in if case .bool(true) = v { c.shuffle = true } else { c.shuffle = nil } }),
        // MixUp (docs/higher-accuracy.md): the regulariser that the Fashion-MNIST searches'
        // 99.97 % training accuracy asked for.
        .added(gridKey: "training.mixup", range: .mixUp, column: "mixup", header: "mixup", word: "mixup",
               kind: .double(.mixUp), example: .double(0.2), property: "mixup", wireVersion: 6,
               get: { $0.mixup.map { .double($0) } ?? .null },
               set: { c, v in if case .double(let x) = v, x != 0 { c.mixup = x } else { c.mixup = nil } }),
    ]

    /// A one-column numeric field that joins through the table (``TrialFieldExtension``), off
    /// when nil (and when set to 0): its cell is the number or empty, its summary
    /// `word value` when on.
    static func added(gridKey: String, range: ConfigField, column: String, header: String, word: String,
                      kind: TrialFieldExtension.Kind, example: FieldValue, property: String,
                      wireVersion: UInt16 = 5, get: @escaping @Sendable (TrialConfig) -> FieldValue,
                      set: @escaping @Sendable (inout TrialConfig, FieldValue) -> Void) -> TrialField {
        let extensionEntry = TrialFieldExtension(propertyName: property, kind: kind, off: .null, example: example,
                                                 wireVersion: wireVersion, get: get, set: set)
        @Sendable func text(_ c: TrialConfig) -> String? {
            switch get(c) {
            case .int(let n): return "\(n)"
            case .double(let x): return "\(x)"
            case .bool(let b): return b ? "true" : nil
            default: return nil
            }
        }
        return TrialField(gridKey: gridKey, flag: "set", range: range, columns: [column],
                          placement: .appended, tableHeader: header, rightAligned: true, added: extensionEntry,
                          checkValues: { c in
                              switch get(c) {
                              case .int(let n): return check(range, n)
                              case .double(let x): return check(range, x)
                              default: return []
                              }
                          },
                          csvCells: { [text($0) ?? ""] },
                          parseCells: { cells, c in
                              if cells[0].isEmpty { set(&c, .null); return true }
                              guard case .success(let value) = extensionEntry.parse(cells[0]) else { return false }
                              set(&c, value)
                              return true
                          },
                          jsonCells: { [get($0)] },
                          tableText: { text($0) ?? "-" },
                          summaryText: { c in text(c).map { "\(word) \($0)" } })
    }

    /// The fields that have a column of their own in the terminal table.
    public static var tableColumns: [TrialField] { all.filter { !$0.tableHeader.isEmpty } }
}

/// `field`'s problem with `value`, if any, as a list (empty when in range or absent).
private func check(_ field: ConfigField, _ value: Double?) -> [ConfigProblem] {
    guard let value, let message = field.problem(value) else { return [] }
    return [ConfigProblem(field, message)]
}

private func check(_ field: ConfigField, _ value: Int?) -> [ConfigProblem] {
    guard let value, let message = field.problem(value) else { return [] }
    return [ConfigProblem(field, message)]
}

/// A value of a ``TrialConfig`` or ``DatasetSpec`` that has a range rule, named by its
/// grid-file key (the raw value), so that each front end can say where to fix it: the grid
/// parser names the key and line, the `train` command maps it to its flag, the trainer
/// reports `key: message` as a failed trial's reason.
public enum ConfigField: String, Sendable, Hashable, CaseIterable {
    case trainRows = "dataset.train_rows"
    case validationRows = "dataset.validation_rows"
    case testRows = "dataset.test_rows"
    case pca = "dataset.pca"
    case hidden = "model.hidden"
    /// The standard deviation of `init: std=…` (He initialisation has no value to check).
    case initStd = "model.init"
    case momentum = "training.momentum"
    case learningRate = "training.learning_rate"
    case decay = "training.decay"
    case reg = "training.reg"
    case batchSize = "training.batch_size"
    case iterations = "training.iterations"
    case epochs = "training.epochs"
    case lossEvery = "training.loss_every"
    case dropout = "model.dropout"
    case horizontalFlip = "training.horizontal_flip"
    case warmupEpochs = "training.warmup_epochs"
    case randomCrop = "training.random_crop"
    case labelSmoothing = "training.label_smoothing"
    case weightDecay = "training.weight_decay"
    case earlyStop = "training.early_stop"
    case earlyStopTolerance = "training.early_stop_tol"
    case shuffle = "training.shuffle"
    case mixUp = "training.mixup"

    /// Why `value` is outside this field's range, or nil if it is inside. The message is
    /// the part after the key, e.g. `must be positive, got -1.0`.
    ///
    /// These are the only range rules for trials and datasets: the grid parser, the `train`
    /// command and the trainer all take them from here. The trainer's kernel is compiled
    /// `-Ounchecked` and relies on sizes (widths, batch size, loss stride) being at least 1,
    /// so loosening a rule here loosens what reaches it.
    public func problem(_ value: Double) -> String? {
        // NaN fails every comparison and ±inf passes some; say which it is rather than
        // "must be positive, got nan".
        guard value.isFinite else { return "must be a finite number, got \(value)" }
        return problem(value, shownAs: "\(value)")
    }

    /// Why `value` is outside this field's range, or nil; the same rules as for a `Double`.
    public func problem(_ value: Int) -> String? {
        problem(Double(value), shownAs: "\(value)")
    }

    private func problem(_ value: Double, shownAs text: String) -> String? {
        switch self {
        case .trainRows, .validationRows, .hidden, .batchSize, .iterations, .epochs, .lossEvery, .learningRate:
            return value > 0 ? nil : "must be positive, got \(text)"
        case .testRows:
            // 0 is "no test split" (DatasetRequest.testRows), as for `--test-rows 0`.
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .reg:
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .pca:
            return value > 0 && value <= 1 ? nil : "must be a fraction of variance in (0, 1], got \(text)"
        case .initStd:
            return value > 0 ? nil : "must be a positive standard deviation, got \(text)"
        case .momentum:
            return value >= 0 && value < 1 ? nil : "must be in [0, 1), got \(text)"
        case .decay:
            return value > 0 && value <= 1 ? nil : "must be in (0, 1], got \(text)"
        case .dropout:
            return value >= 0 && value < 1 ? nil : "must be a drop probability in [0, 1), got \(text)"
        case .warmupEpochs, .earlyStopTolerance:
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .earlyStop:
            return value >= 0 ? nil : "must be a number of epochs, or 0 for off, got \(text)"
        case .horizontalFlip, .shuffle:
            return nil   // a flag: its only rule is across keys (see validationProblems(for:))
        case .randomCrop:
            return value >= 0 && value <= Double(Self.maxCropPadding) ? nil
                : "must be a shift of 0 to \(Self.maxCropPadding) pixels, got \(text)"
        case .labelSmoothing:
            return value >= 0 && value < 1 ? nil : "must be in [0, 1), got \(text)"
        case .weightDecay:
            return value >= 0 ? nil : "must be zero or positive, got \(text)"
        case .mixUp:
            return value >= 0 && value <= Self.maxMixUpAlpha ? nil
                : "must be a Beta(α, α) parameter in (0, \(Self.maxMixUpAlpha)], or 0 for off, got \(text)"
        }
    }
}

extension ConfigField {
    /// The `hypergrid train` flag that sets this field (``TrialField`` names the same).
    public var flag: String {
        switch self {
        case .trainRows: "--train-rows"
        case .validationRows: "--validation-rows"
        case .testRows: "--test-rows"
        case .pca: "--pca"
        case .hidden: "--hidden"
        case .initStd: "--init-std"
        case .momentum: "--momentum"
        case .learningRate: "--lr"
        case .decay: "--decay"
        case .reg: "--reg"
        case .batchSize: "--batch-size"
        case .iterations: "--iterations"
        case .epochs: "--epochs"
        case .lossEvery: "--loss-every"
        case .dropout: "--dropout"
        case .horizontalFlip: "--horizontal-flip"
        case .warmupEpochs: "--warmup-epochs"
        case .randomCrop, .labelSmoothing, .weightDecay, .shuffle, .mixUp: "--set \(rawValue)"
        case .earlyStop: "--set training.early_stop"
        case .earlyStopTolerance: "--set training.early_stop_tol"
        }
    }

    /// The largest `training.random_crop` (the kernel draws each offset from 16 random bits;
    /// HypergridKernel's `randomCropMaxPadding`, which this module does not import).
    public static let maxCropPadding = 255

    /// The largest `training.mixup` α (HypergridKernel's `betaSymmetricMaxAlpha`: its Beta
    /// sampler's acceptance rate falls fast beyond).
    public static let maxMixUpAlpha = 4.0
}

