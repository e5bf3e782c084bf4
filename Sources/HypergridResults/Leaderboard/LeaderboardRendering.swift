import Foundation
import HypergridSearchSpace

/// The output formats of `hypergrid leaderboard`.
public enum LeaderboardFormat: String, Sendable, CaseIterable {
    /// Aligned columns for a terminal.
    case table
    /// The same CSV as `leaderboard.csv`.
    case csv
    /// An array of objects keyed by the CSV's column names, with typed values.
    case json
}

extension Leaderboard {
    /// Renders ranked rows; `top` keeps only the first N. A table shows, by default, the
    /// columns that tell the rows apart — rank, trial, the metrics that have values and the
    /// hyperparameters that vary between the rows — so that it fits an 80–100-column
    /// terminal; `wide` shows every column. CSV and JSON always have every column.
    public static func render(_ rows: [LeaderboardRow], format: LeaderboardFormat, top: Int? = nil,
                              wide: Bool = false) -> String {
        let shown = top.map { Array(rows.prefix(max($0, 0))) } ?? rows
        switch format {
        case .table: return table(shown, allRows: rows, wide: wide)
        case .csv: return csv(shown)
        case .json: return json(shown)
        }
    }

    static func json(_ rows: [LeaderboardRow]) -> String {
        let encoder = JournalJSON.encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding rows of numbers and strings cannot fail (non-finite ones become strings).
        let data = try! encoder.encode(rows.map(JSONRow.init))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The JSON shape of a row: the CSV's column names, with typed values and explicit
    /// nulls, so that every object has every column.
    struct JSONRow: Encodable {
        let r: LeaderboardRow
        init(_ row: LeaderboardRow) { r = row }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            func put<T: Encodable>(_ key: String, _ value: T?) throws {
                if let value { try c.encode(value, forKey: Key(key)) } else { try c.encodeNil(forKey: Key(key)) }
            }
            try put("rank", r.rank)
            try put("val_acc", r.validationAccuracy)
            try put("val_acc_std", r.validationStd)
            try put("val_acc_n", r.validationCount)
            try put("train_acc", r.trainAccuracy)
            try put("test_acc", r.testAccuracy)
            try put("final_loss", r.finalLoss)
            try put("status", r.status.rawValue)
            for field in originalFields {
                for (column, value) in zip(field.columns, field.json(r.config)) { try c.encode(value, forKey: Key(column)) }
            }
            try put("seed", r.seed)
            try put("repeats", r.repeats)
            try put("retries", r.retries)
            try put("wall_s", r.wallSeconds)
            try put("workers", r.workers)
            try put("trials", r.trials.map(\.hex))
            try put("val_ci95_low", r.validationInterval?.lowerBound)
            try put("val_ci95_high", r.validationInterval?.upperBound)
            try put("separable", r.separable)
            try put("budget_epochs", r.budgetEpochs)
            try put("samples", r.samplesTrained)
            try put("final", r.refit.map { "refit on \($0.rawValue)" })
            for field in appendedFields {
                for (column, value) in zip(field.columns, field.json(r.config)) { try c.encode(value, forKey: Key(column)) }
            }
            for (column, value) in zip(regressionColumns, [r.validationRMSE, r.validationMAE, r.validationR2, r.trainRMSE,
                                                            r.testRMSE, r.testMAE, r.testR2]) {
                try put(column, value)
            }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
