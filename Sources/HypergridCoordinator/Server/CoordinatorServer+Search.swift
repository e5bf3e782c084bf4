import HypergridResults
import HypergridSearchSpace

extension CoordinatorServer {
    /// Lines for the end of a run: the compute the search spent and, with `final: refit`,
    /// the one test accuracy it reports.
    public var searchReport: [String] {
        let rows = leaderboard.rows
        var lines: [String] = []
        let search = rows.filter { $0.refit == nil }.reduce(0) { $0 + $1.samplesTrained }
        let refit = rows.filter { $0.refit != nil }.reduce(0) { $0 + $1.samplesTrained }
        lines.append("compute: \(search) samples trained by the search\(refit > 0 ? " and \(refit) by the refit" : "") (checkpoint continuations count only their new epochs)")
        if let stages = scheduler.stages, case .halving(let rungs) = stages.grid.search.kind {
            let sizes = stages.stages.prefix(rungs.budgets.count).map { Set($0.map(\.point)).count }
            let described = zip(sizes, rungs.budgets).map { "\($0.0) points × \($0.1) ep" }
            lines.append("halving (factor \(rungs.factor)): " + described.joined(separator: " → "))
        }
        if let refit = rows.first(where: { $0.refit != nil }) {
            if let rmse = refit.testRMSE {
                let r2 = refit.testR2.map { ", R² " + formatFixed($0, digits: 3) } ?? ""
                lines.append("final refit on \(refit.refit!.rawValue) of \(refit.config.fieldSummary): test RMSE \(formatFixed(rmse, digits: 4))\(r2)")
            } else {
                let test = refit.testAccuracy.map { formatFixed($0, digits: 4) } ?? "not measured (\(refit.status.rawValue))"
                lines.append("final refit on \(refit.refit!.rawValue) of \(refit.config.fieldSummary): test accuracy \(test)")
            }
        }
        if let best = rows.first(where: { $0.refit == nil }), best.separable == false {
            lines.append("note: the best point's 95 % interval overlaps others'; more repeats are needed to tell them apart")
        }
        return lines
    }
}
