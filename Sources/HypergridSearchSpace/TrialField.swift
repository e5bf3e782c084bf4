/// One hyperparameter of ``TrialConfig`` as every front end names and shows it: its key in
/// grid files, its `hypergrid train` flag, its range rule, its leaderboard columns (CSV,
/// JSON and the terminal table), and its part of the one-line summary of a trial.
///
/// ``all`` is the table. The leaderboard's columns, its CSV reader, the one-line summary
/// that the coordinator, the worker and the search stages log, the validation of a config
/// and the `train` command's names all iterate it, so that a new field is described once
/// here (see docs/architecture.md, "Adding a trial field"). The wire codec and the trial
/// id do not: they are pinned byte for byte and a field joins them deliberately.
public struct TrialField: Sendable {
    /// Where a field's leaderboard columns go: the fields of the first leaderboard sit
    /// between `status` and `seed`; later ones are appended at the end of the CSV, so that
    /// files written before them still read (their columns are optional when parsing).
    public enum ColumnPlacement: Sendable { case original, appended }

    /// The keys in grid files, `|`-separated, e.g. `training.learning_rate` (the range
    /// rule's ``ConfigField`` raw value is one of them).
    public let gridKey: String
    /// The `hypergrid train` flags without their dashes, `|`-separated, e.g. `lr` or
    /// `iterations|epochs` (the range rule's ``ConfigField/flag`` is one of them).
    public let flag: String
    /// The range rule of its values (shared with the grid parser and the trainer).
    public let range: ConfigField?
    /// The leaderboard CSV and JSON column names (the training length has two).
    public let columns: [String]
    public let placement: ColumnPlacement
    /// The header of its column in the terminal table; empty when it shares another's.
    public let tableHeader: String
    /// Numbers align right in the table, text left.
    public let rightAligned: Bool

    let checkValues: @Sendable (TrialConfig) -> [ConfigProblem]
    let csvCells: @Sendable (TrialConfig) -> [String]
    let parseCells: @Sendable ([String], inout TrialConfig) -> Bool
    let jsonCells: @Sendable (TrialConfig) -> [FieldValue]
    let tableText: @Sendable (TrialConfig) -> String
    let summaryText: @Sendable (TrialConfig) -> String?

    /// The field's out-of-range values in `config` (at most one per range rule).
    public func problems(_ config: TrialConfig) -> [ConfigProblem] { checkValues(config) }
    /// The CSV cells of `config`, one per column; an empty string is no value.
    public func csv(_ config: TrialConfig) -> [String] { csvCells(config) }
    /// Sets the field in `config` from its CSV cells (one per column, "" for an absent
    /// column); false when they are not a value of the field.
    public func parse(_ cells: [String], into config: inout TrialConfig) -> Bool { parseCells(cells, &config) }
    /// The typed JSON values of `config`, one per column.
    public func json(_ config: TrialConfig) -> [FieldValue] { jsonCells(config) }
    /// The terminal table's cell (`-` for none).
    public func tableCell(_ config: TrialConfig) -> String { tableText(config) }
    /// The number a numeric field sorts by (its first numeric JSON value); nil for text.
    public func sortNumber(_ config: TrialConfig) -> Double? {
        for value in json(config) {
            switch value {
            case .int(let n): return Double(n)
            case .double(let x): return x
            default: continue
            }
        }
        return nil
    }
    /// The field's part of ``TrialConfig/summary``; nil when it has nothing to say.
    public func summary(_ config: TrialConfig) -> String? { summaryText(config) }
}

/// A typed value of a leaderboard JSON column.
public enum FieldValue: Sendable, Equatable, Encodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case ints([Int])

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .ints(let v): try c.encode(v)
        }
    }
}

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
    ]

    /// The fields that have a column of their own in the terminal table.
    public static var tableColumns: [TrialField] { all.filter { !$0.tableHeader.isEmpty } }
}

extension TrialConfig {
    /// `256-128`; empty for a network without hidden layers.
    public var hiddenText: String { hidden.map(String.init).joined(separator: "-") }

    /// Whether the optimizer uses ``momentum``.
    public var usesMomentum: Bool { optimizer == .momentum || optimizer == .nesterov }

    /// `sgd`, `momentum(0.9)`.
    var optimizerText: String { optimizer.rawValue + (usesMomentum ? "(\(momentum))" : "") }

    /// The one-line summary of a trial that the coordinator, the worker and the search
    /// stages log: every field's part (``TrialField/all``), then the refit data and the seed.
    /// `hidden 256-128 bn adam lr 0.001 decay 0.95 reg 0.0001 batch 200 10 ep init he seed 3`.
    public var summary: String {
        var parts = [fieldSummary]
        if let refit { parts.append("refit on \(refit.rawValue)") }
        parts.append("seed \(seed)")
        return parts.joined(separator: " ")
    }

    /// The fields' parts of ``summary`` alone, without the refit data and the seed: what
    /// tells a grid point from another.
    public var fieldSummary: String { TrialField.all.compactMap { $0.summary(self) }.joined(separator: " ") }

    /// Sets the model features from their summary (``featureSummary``); false when the text
    /// is not one. Features not named are off.
    mutating func setFeatures(fromSummary text: String) -> Bool {
        var dropout: Double?, flip: Bool?, schedule: LearningRateSchedule?, warmup: Double?
        for word in text.split(separator: " ") {
            if word.hasPrefix("dropout="), let d = Double(word.dropFirst("dropout=".count)) { dropout = d }
            else if word == "flip" { flip = true }
            else if let s = LearningRateSchedule(rawValue: String(word)) { schedule = s }
            else if word.hasPrefix("warmup="), let w = Double(word.dropFirst("warmup=".count)) { warmup = w }
            else { return false }
        }
        (self.dropout, horizontalFlip, self.schedule, warmupEpochs) = (dropout, flip, schedule, warmup)
        return true
    }
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
