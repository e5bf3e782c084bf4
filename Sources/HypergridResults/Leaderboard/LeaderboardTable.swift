import Foundation
import HypergridSearchSpace

/// The terminal table of `hypergrid leaderboard --format table` and of the end of a run.
extension Leaderboard {
    /// One column of the table: its header, how a row shows in it, and when it is shown.
    struct TableColumn {
        enum Role {
            /// Always shown: which row it is.
            case key
            /// A result; shown unless no row has a value.
            case metric
            /// What tells grid points apart; shown when it differs between the rows.
            case varying
            /// Bookkeeping; shown with `--wide` only.
            case detail
        }
        let header: String
        let role: Role
        let rightAligned: Bool
        let cell: (LeaderboardRow) -> String

        init(_ header: String, _ role: Role, right: Bool = false, _ cell: @escaping (LeaderboardRow) -> String) {
            self.header = header
            self.role = role
            self.rightAligned = right
            self.cell = cell
        }
    }

    /// Every column, in the order of the wide table.
    static let tableColumns: [TableColumn] = {
        func acc(_ x: Double?) -> String { x.map { formatFixed($0, digits: 4) } ?? "-" }
        return [
            TableColumn("#", .key, right: true) { "\($0.rank)" },
            TableColumn("val_acc", .metric, right: true) { acc($0.validationAccuracy) },
            // Regression's columns replace the accuracies (a metric column shows when a row has it).
            TableColumn("val_rmse", .metric, right: true) { r in r.validationRMSE.map { formatSignificant($0) } ?? "-" },
            TableColumn("±std", .metric, right: true) { acc($0.validationStd) },
            TableColumn("n", .detail, right: true) { "\($0.validationCount)" },
            TableColumn("train", .metric, right: true) { acc($0.trainAccuracy) },
            TableColumn("test", .metric, right: true) { acc($0.testAccuracy) },
            TableColumn("val_r2", .metric, right: true) { acc($0.validationR2) },
            TableColumn("test_rmse", .metric, right: true) { r in r.testRMSE.map { formatSignificant($0) } ?? "-" },
            TableColumn("loss", .metric, right: true) { r in
                r.finalLoss.map { $0.isFinite ? formatFixed($0, digits: 4) : "\($0)" } ?? "-"
            },
            TableColumn("status", .varying) { $0.status.rawValue },
            // Only runs with `search.verify` have a value (verified, disputed, corrected, redone).
            TableColumn("verified", .metric) { $0.verification ?? "-" },
        ] + TrialField.tableColumns.map { field in
            TableColumn(field.tableHeader, .varying, right: field.rightAligned) { row in
                field.tableCell(row.config)
            }
        } + [
            TableColumn("seed/reps", .varying, right: true) { r in r.seed.map { "\($0)" } ?? "×\(r.repeats)" },
            TableColumn("retries", .detail, right: true) { "\($0.retries)" },
            TableColumn("wall", .detail, right: true) { r in r.wallSeconds.map { formatDuration($0) } ?? "-" },
            TableColumn("workers", .detail) { $0.workers.isEmpty ? "-" : $0.workers },
            TableColumn("trial", .key) { r in
                var trial = r.trials.first?.short ?? "-"
                if r.trials.count > 1 { trial += " +\(r.trials.count - 1)" }
                return trial
            },
            TableColumn("ci95", .detail, right: true) { r in
                r.validationInterval.map { acc($0.lowerBound) + "–" + acc($0.upperBound) } ?? "-"
            },
            TableColumn("sep", .detail) { r in r.separable.map { $0 ? "yes" : "no" } ?? "-" },
            TableColumn("samples", .detail, right: true) { "\($0.samplesTrained)" },
            TableColumn("final", .varying) { r in r.refit.map { "refit(\($0.rawValue))" } ?? "" },
        ]
    }()

    /// Four significant digits (`59.31`, `0.8124`, `1234`): RMSEs are in the targets' units.
    static func formatSignificant(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return "\(x)" }
        let digits = max(0, 3 - Int((log10(abs(x))).rounded(.down)))
        return formatFixed(x, digits: min(digits, 6))
    }

    /// `shown` as an aligned table; which columns a narrow table keeps is decided over
    /// `allRows` (the whole grid so far), so that `--top` does not change the columns.
    static func table(_ shown: [LeaderboardRow], allRows: [LeaderboardRow], wide: Bool) -> String {
        let columns = wide ? tableColumns : tableColumns.filter { column in
            switch column.role {
            case .key: return true
            case .detail: return false
            case .metric: return allRows.contains { column.cell($0) != "-" }
            case .varying: return Set(allRows.map(column.cell)).count > 1
            }
        }
        var lines: [[String]] = [columns.map(\.header)]
        for row in shown { lines.append(columns.map { $0.cell(row) }) }
        var widths = [Int](repeating: 0, count: columns.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var text = lines.map { line in
            line.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return columns[i].rightAligned ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
        if !wide, let first = allRows.first {
            // What the hidden columns would show in every row, so nothing is lost.
            let same = TrialField.tableColumns.filter { field in
                Set(allRows.map { field.tableCell($0.config) }).count == 1
            }.filter { $0.tableCell(first.config) != "-" }
             .map { "\($0.tableHeader) \($0.tableCell(first.config))" }
            if !same.isEmpty { text += wrap("every row: " + same.joined(separator: ", ") + " (--wide shows all columns)") }
        }
        return text
    }

    /// `text` broken at spaces into lines of at most 96 characters.
    static func wrap(_ text: String) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > 96 { lines.append(line); line = "  " }
            line += (line.isEmpty || line == "  " ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n") + "\n"
    }
}
