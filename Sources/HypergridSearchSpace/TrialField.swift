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
    /// `iterations|epochs` (the range rule's ``ConfigField/flag`` is one of them); `set` for
    /// a field without a flag of its own (`--set KEY=VALUE`).
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

    /// Set for fields that join grid files, the wire and `train --set` through the table
    /// alone (``TrialFieldExtension``); nil for the hand-written fields of the first versions.
    public internal(set) var added: TrialFieldExtension? = nil

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
public enum FieldValue: Sendable, Hashable, Encodable {
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
