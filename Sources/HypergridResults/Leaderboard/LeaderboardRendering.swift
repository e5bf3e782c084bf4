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
    /// Renders ranked rows; `top` keeps only the first N.
    public static func render(_ rows: [LeaderboardRow], format: LeaderboardFormat, top: Int? = nil) -> String {
        let shown = top.map { Array(rows.prefix(max($0, 0))) } ?? rows
        switch format {
        case .table: return table(shown)
        case .csv: return csv(shown)
        case .json: return json(shown)
        }
    }

    static func table(_ rows: [LeaderboardRow]) -> String {
        let header = ["#", "val_acc", "±std", "n", "train", "test", "loss", "status", "hidden", "bn",
                      "optimizer", "lr", "decay", "reg", "batch", "length", "init", "features", "seed/reps",
                      "retries", "wall", "workers", "trial", "ci95", "sep", "samples", "final"]
        // Numbers align right, text left.
        let rightAligned: Set<Int> = [0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 18, 19, 20, 23, 25]
        func acc(_ x: Double?) -> String { x.map { formatFixed($0, digits: 4) } ?? "-" }
        var lines: [[String]] = [header]
        for r in rows {
            var optimizer = r.optimizer.rawValue
            if let m = r.momentum { optimizer += "(\(m))" }
            var length = r.iterations.map { "\($0)it" } ?? r.epochs.map { "\($0)ep" } ?? "-"
            if let budget = r.budgetEpochs { length = "\(budget) of " + length }
            let seed = r.seed.map { "\($0)" } ?? "×\(r.repeats)"
            let loss = r.finalLoss.map { $0.isFinite ? formatFixed($0, digits: 4) : "\($0)" } ?? "-"
            let wall = r.wallSeconds.map { formatDuration($0) } ?? "-"
            var trial = r.trials.first?.short ?? "-"
            if r.trials.count > 1 { trial += " +\(r.trials.count - 1)" }
            lines.append(["\(r.rank)", acc(r.validationAccuracy), acc(r.validationStd), "\(r.validationCount)",
                          acc(r.trainAccuracy), acc(r.testAccuracy), loss, r.status.rawValue,
                          r.hidden.isEmpty ? "-" : r.hiddenText, r.batchNorm ? "yes" : "no", optimizer,
                          "\(r.learningRate)", "\(r.learningRateDecay)", "\(r.reg)", "\(r.batchSize)",
                          length, r.initScheme.description, r.features.isEmpty ? "-" : r.features, seed, "\(r.retries)", wall,
                          r.workers.isEmpty ? "-" : r.workers, trial,
                          r.validationInterval.map { acc($0.lowerBound) + "–" + acc($0.upperBound) } ?? "-",
                          r.separable.map { $0 ? "yes" : "no" } ?? "-", "\(r.samplesTrained)",
                          r.refit.map { "refit(\($0.rawValue))" } ?? ""])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return lines.map { line in
            line.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
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
            try put("hidden", r.hidden)
            try put("batch_norm", r.batchNorm)
            try put("optimizer", r.optimizer.rawValue)
            try put("momentum", r.momentum)
            try put("lr", r.learningRate)
            try put("lr_decay", r.learningRateDecay)
            try put("reg", r.reg)
            try put("batch_size", r.batchSize)
            try put("iterations", r.iterations)
            try put("epochs", r.epochs)
            try put("init", r.initScheme.description)
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
            try put("features", r.features)
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
