import Foundation
import HypergridResults
import HypergridSearchSpace

/// The HTML page: a summary, the sortable leaderboard, every chart inlined, and per-trial
/// details. One self-contained file: no network fetches, and the charts need no script (a
/// small inline one only sorts the table).
struct ReportPage {
    let results: RunResults
    let options: ReportOptions
    let charts: [ReportChart]
    /// Generated at (seconds since 1970).
    let time: Double
    /// At most this many trials get a details section, best first, so that a huge run's
    /// page stays loadable.
    static let detailLimit = 1000

    func html() -> String {
        let e = ReportFormat.escape
        let title = "hypergrid report — \((results.directory as NSString).lastPathComponent)"
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        if options.inProgress { h += "<meta http-equiv=\"refresh\" content=\"\(options.reloadSeconds)\">\n" }
        h += "<title>\(e(title))</title>\n<style>\n\(Self.style)</style>\n</head>\n<body>\n"
        h += "<header>\n<h1>\(e(title))</h1>\n\(summary())</header>\n"
        h += "<nav><a href=\"#leaderboard\">Leaderboard</a> · <a href=\"#learning-curves\">Learning curves</a> · "
            + "<a href=\"#heatmap\">Heatmap</a> · <a href=\"#architectures\">Architectures</a> · <a href=\"#trials\">Trials</a></nav>\n"
        h += "<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n"
            + "<p class=\"note\">Mean over repeats; click a column heading to sort.</p>\n\(leaderboard())</section>\n"
        let byID = Dictionary(charts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let sections: [(String, String, [String])] = [
            ("learning-curves", "Learning curves", ["chart-loss", "chart-accuracy"]),
            ("heatmap", "Hyperparameter heatmap", ["chart-heatmap"]),
            ("architectures", "Architectures", ["chart-architectures", "chart-architecture-curves"]),
        ]
        for (id, heading, ids) in sections {
            h += "<section id=\"\(id)\">\n<h2>\(e(heading))</h2>\n"
            for chart in ids.compactMap({ byID[$0] }) {
                h += "<figure id=\"figure-\(chart.id)\">\n\(chart.inlineSVG)<figcaption>\(e(chart.caption)) "
                    + "<a href=\"\(e(chart.fileName))\">\(e(chart.fileName))</a></figcaption>\n</figure>\n"
            }
            h += "</section>\n"
        }
        h += "<section id=\"trials\">\n<h2>Trials</h2>\n\(details())</section>\n"
        h += "<script>\n\(Self.sortScript)</script>\n</body>\n</html>\n"
        return h
    }

    func summary() -> String {
        let e = ReportFormat.escape
        let all = results.results
        let done = all.filter { $0.metrics.status == .done }.count
        let diverged = all.filter { $0.metrics.status == .diverged }.count
        let failed = all.filter { $0.metrics.status == .failed }.count + results.failures.count
        var parts = ["\(all.count + results.failures.count) trials in the journal: \(done) done, \(diverged) diverged, \(failed) failed"]
        if let planned = results.plannedTrials { parts.append("the latest start planned \(planned)") }
        if let first = results.firstRecordTime, let last = results.lastRecordTime {
            parts.append("recorded \(Self.timestamp(first)) – \(Self.timestamp(last)) UTC")
        }
        var text = "<p class=\"summary\">Run directory <code>\(e(results.directory))</code>. \(e(parts.joined(separator: "; "))).</p>\n"
        // What the run trained on, with a user's file's imputed cells and dropped rows.
        if let dataset = RunDataset.read(runDirectory: results.directory) {
            text += "<p class=\"summary\">\(e(dataset.line.prefix(1).uppercased() + dataset.line.dropFirst())).</p>\n"
        }
        let best = results.points[0]
        if let rmse = best.row.validationRMSE {
            // Regression: ranked by validation RMSE (lower is better), in the targets' units.
            text += "<p class=\"summary\">Best: <strong>validation RMSE \(e(formatFixed(rmse, digits: 4)))</strong>"
            if let r2 = best.row.validationR2 { text += " (R² \(e(formatFixed(r2, digits: 3))))" }
            if let test = best.row.testRMSE { text += ", test RMSE \(e(formatFixed(test, digits: 4)))" }
        } else {
            text += "<p class=\"summary\">Best: <strong>\(e(ReportFormat.percent(best.row.validationAccuracy, digits: 2))) validation</strong>"
            if let test = best.row.testAccuracy { text += ", \(e(ReportFormat.percent(test, digits: 2))) test" }
        }
        text += " — \(e(best.config.fieldSummary))"
        text += " (<a href=\"#trial-\(best.row.trials[0].hex)\">details</a>).</p>\n"
        text += "<p class=\"generated\">Generated \(Self.timestamp(time)) UTC by hypergrid \(e(HypergridVersion.program))"
        text += options.inProgress ? "; <strong>the run is in progress</strong>: this page reloads every \(options.reloadSeconds) s.</p>\n" : ".</p>\n"
        return text
    }

    static func timestamp(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// A row's validation, spread, count, train and test cells in accuracies.
    private func accuracyCells(_ r: LeaderboardRow) -> String {
        numberCell(r.validationAccuracy, ReportFormat.percent(r.validationAccuracy, digits: 2))
            + numberCell(r.validationStd, r.validationStd.map { ReportFormat.percent($0, digits: 2) } ?? "")
            + numberCell(Double(r.validationCount), "\(r.validationCount)")
            + numberCell(r.trainAccuracy, ReportFormat.percent(r.trainAccuracy, digits: 2))
            + numberCell(r.testAccuracy, ReportFormat.percent(r.testAccuracy, digits: 2))
    }

    /// The same cells in RMSEs (the targets' units) for a regression run.
    private func rmseCells(_ r: LeaderboardRow) -> String {
        func rmse(_ x: Double?) -> String { x.map { formatFixed($0, digits: 4) } ?? "–" }
        return numberCell(r.validationRMSE, rmse(r.validationRMSE))
            + numberCell(r.validationStd, r.validationStd.map { formatFixed($0, digits: 4) } ?? "")
            + numberCell(Double(r.validationCount), "\(r.validationCount)")
            + numberCell(r.trainRMSE, rmse(r.trainRMSE))
            + numberCell(r.testRMSE, rmse(r.testRMSE))
    }

    /// A numeric cell that sorts by `x` (missing and non-finite values last).
    private func numberCell(_ x: Double?, _ text: String) -> String {
        let key = x.flatMap { $0.isFinite ? "\($0)" : nil } ?? ""
        return "<td class=\"num\" data-sort=\"\(key)\">\(ReportFormat.escape(text))</td>"
    }

    /// The leaderboard as a table; every cell carries a `data-sort` key so that numbers
    /// sort as numbers and missing values last.
    func leaderboard() -> String {
        let e = ReportFormat.escape
        // The trial fields' columns come from the one table of them (TrialField).
        // A regression run's result columns are RMSEs (lower is better), not accuracies.
        let regression = results.points.contains { $0.row.validationRMSE != nil }
        let headings = (regression ? ["#", "val RMSE", "±std", "n", "train RMSE", "test RMSE", "loss", "status"]
                                   : ["#", "val", "±std", "n", "train", "test", "loss", "status"])
            + TrialField.tableColumns.map(\.tableHeader) + ["repeats", "wall", "workers", "trial"]
        var h = "<table id=\"leaderboard-table\" class=\"sortable\">\n<thead><tr>"
        for (i, name) in headings.enumerated() { h += "<th data-column=\"\(i)\" title=\"sort\">\(e(name))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        func number(_ x: Double?, _ text: String) -> String {
            let key = x.flatMap { $0.isFinite ? "\($0)" : nil } ?? ""
            return "<td class=\"num\" data-sort=\"\(key)\">\(e(text))</td>"
        }
        func word(_ text: String) -> String { "<td data-sort=\"\(e(text))\">\(e(text))</td>" }
        for p in results.points {
            let r = p.row
            var trial = r.trials.first.map { "<a href=\"#trial-\($0.hex)\">\($0.short)</a>" } ?? "-"
            if r.trials.count > 1 { trial += " +\(r.trials.count - 1)" }
            h += "<tr id=\"point-\(r.rank)\">"
                + number(Double(r.rank), "\(r.rank)")
                + (regression ? rmseCells(r) : accuracyCells(r))
                + number(r.finalLoss, r.finalLoss.map { $0.isFinite ? formatFixed($0, digits: 4) : "\($0)" } ?? "–")
                + word(r.status.rawValue)
                + TrialField.tableColumns.map { field in
                    let text = field.tableCell(r.config)
                    return field.sortNumber(r.config).map { number($0, text) } ?? word(text)
                }.joined()
                + number(Double(r.repeats), "\(r.repeats)")
                + number(r.wallSeconds, r.wallSeconds.map { formatFixed($0, digits: 1) + " s" } ?? "–")
                + word(r.workers) + "<td data-sort=\"\(r.trials.first?.hex ?? "")\">\(trial)</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    /// A `<details>` block per trial, best point first.
    func details() -> String {
        let e = ReportFormat.escape
        var h = ""
        var shown = 0
        let total = results.results.count + results.failures.count
        outer: for p in results.points {
            for r in p.results {
                if shown == Self.detailLimit { break outer }
                shown += 1
                let m = r.metrics, history = r.history
                var rows: [(String, String)] = [
                    ("trial id", r.trial.hex), ("rank of its point", "\(p.row.rank)"),
                    ("grid point, repetition", "\(r.point), \(r.repetition)"),
                    ("worker, attempt", "\(r.worker), \(r.attempt)"), ("status", m.status.rawValue),
                ]
                if let reason = m.reason { rows.append(("reason", reason)) }
                rows += [
                    ("validation accuracy", ReportFormat.percent(m.validationAccuracy, digits: 2)),
                    ("train accuracy", ReportFormat.percent(m.trainAccuracy, digits: 2)),
                    ("test accuracy", ReportFormat.percent(m.testAccuracy, digits: 2)),
                    ("final loss", m.finalLoss.map { $0.isFinite ? formatFixed($0, digits: 4) : "\($0)" } ?? "–"),
                    ("iterations", "\(m.iterations)"), ("wall time", formatFixed(m.wallSeconds, digits: 2) + " s"),
                    ("samples per second", formatFixed(m.samplesPerSecond, digits: 0)),
                ]
                if let bestEpoch = history.validationAccuracy.indices.max(by: { history.validationAccuracy[$0] < history.validationAccuracy[$1] }) {
                    rows.append(("best epoch (validation)", "\(bestEpoch + 1) of \(history.validationAccuracy.count): \(ReportFormat.percent(history.validationAccuracy[bestEpoch], digits: 2))"))
                }
                if let first = history.loss.first, let last = history.loss.last {
                    rows.append(("recorded loss", "\(history.loss.count) points every \(history.lossEvery) iterations, \(formatFixed(Double(first), digits: 4)) → \(formatFixed(Double(last), digits: 4))"))
                }
                rows += configRows(r.config)
                h += "<details id=\"trial-\(r.trial.hex)\"><summary>#\(p.row.rank) <code>\(r.trial.short)</code> \(e(m.status.rawValue)), "
                    + "val \(e(ReportFormat.percent(m.validationAccuracy, digits: 2))) — \(e(r.config.summary))</summary>\n"
                    + table(rows) + "</details>\n"
            }
            for f in p.failures {
                if shown == Self.detailLimit { break outer }
                shown += 1
                let rows = [("trial id", f.trial.hex), ("rank of its point", "\(p.row.rank)"),
                            ("grid point, repetition", "\(f.point), \(f.repetition)"), ("status", "failed"),
                            ("attempts", "\(f.attempts)"), ("reason", f.reason)] + configRows(f.config)
                h += "<details id=\"trial-\(f.trial.hex)\"><summary>#\(p.row.rank) <code>\(f.trial.short)</code> failed — \(e(f.config.summary))</summary>\n"
                    + table(rows) + "</details>\n"
            }
        }
        if shown < total {
            h += "<p class=\"note\">\(total - shown) more trials are in <code>journal.jsonl</code>; only the best \(shown) are listed.</p>\n"
        }
        return h
    }

    func configRows(_ c: TrialConfig) -> [(String, String)] {
        let length: String
        switch c.length {
        case .iterations(let n): length = "\(n) iterations"
        case .epochs(let n): length = "\(n) epochs"
        }
        return [
            ("hidden layers", c.hidden.isEmpty ? "none" : c.hidden.map(String.init).joined(separator: "-")),
            ("BatchNorm", c.batchNorm ? "yes" : "no"),
            ("optimizer", c.optimizer.rawValue + (c.optimizer == .momentum || c.optimizer == .nesterov ? " (momentum \(ReportFormat.number(c.momentum)))" : "")),
            ("learning rate, decay per epoch", "\(ReportFormat.number(c.learningRate)), \(ReportFormat.number(c.learningRateDecay))"),
            ("reg", ReportFormat.number(c.reg)), ("batch size", "\(c.batchSize)"), ("length", length),
            ("init", c.initScheme.description), ("seed", "\(c.seed)"), ("loss recorded every", "\(c.lossEvery) iterations"),
        ]
    }

    func table(_ rows: [(String, String)]) -> String {
        "<table class=\"details\">" + rows.map { "<tr><th>\(ReportFormat.escape($0.0))</th><td>\(ReportFormat.escape($0.1))</td></tr>" }.joined()
            + "</table>\n"
    }

    static let style = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
    h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
    nav { margin: 12px 0; } a { color: #1f5fa8; } code { font-size: 90%; }
    .summary, .generated, .note { margin: 4px 0; } .generated, .note { color: #555; font-size: 13px; }
    table.sortable { border-collapse: collapse; font-size: 12.5px; width: 100%; }
    table.sortable th { background: #f3f3f3; cursor: pointer; position: sticky; top: 0; padding: 4px 6px; text-align: left; white-space: nowrap; }
    table.sortable th.sorted-asc::after { content: " ▲"; } table.sortable th.sorted-desc::after { content: " ▼"; }
    table.sortable td { padding: 3px 6px; border-top: 1px solid #eee; white-space: nowrap; }
    table.sortable tbody tr:nth-child(even) { background: #fafafa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
    #leaderboard { overflow-x: auto; }
    figure { margin: 16px 0 28px; } figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { color: #444; font-size: 13px; margin-top: 4px; }
    details { margin: 2px 0; font-size: 13px; } summary { cursor: pointer; }
    table.details { border-collapse: collapse; margin: 6px 0 10px 18px; } table.details th { text-align: left; font-weight: normal; color: #555; padding: 1px 12px 1px 0; }

    """

    /// Sorts the leaderboard by a clicked column (numbers as numbers, blanks last); the
    /// charts do not depend on it.
    static let sortScript = """
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th").forEach(function (th, column) {
        th.addEventListener("click", function () {
          var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
          var ascending = !th.classList.contains("sorted-asc");
          table.querySelectorAll("th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
          th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
          function key(row) { return row.cells[column].getAttribute("data-sort") || ""; }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
            var nx = Number(x), ny = Number(y);
            var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
            return ascending ? order : -order;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });

    """
}
