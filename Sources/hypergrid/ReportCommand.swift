import ArgumentParser
import HypergridReport

/// `hypergrid report`: draw a run's results as SVG charts and an HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's report: report.html and SVG charts (learning curves, heatmap, architectures).",
        discussion: """
        Reads DIR/journal.jsonl (also while the run is in progress) and writes report.html and
        report-*.svg into DIR, or into --output. Each file is replaced atomically.
        """)

    @Argument(help: "The run directory (holds journal.jsonl).")
    var directory: String
    @Option(help: "Learning curves for the best K points.")
    var top: Int = 5
    @Option(help: "The heatmap's two parameters, x then y: two of lr, reg, decay, momentum, batch_size, hidden, batch_norm, optimizer, length, init (default lr,reg when both are swept).")
    var heatmap: String?
    @Option(help: "Write the report into this directory instead of the run directory.")
    var output: String?

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top).") }
        if let heatmap { _ = try parsedHeatmap(heatmap) }
    }

    func parsedHeatmap(_ text: String) throws -> (x: ReportParameter, y: ReportParameter) {
        do {
            let (x, y) = try ReportParameter.pair(parsing: text)
            return (x, y)
        } catch let error as ReportError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let options = ReportOptions(top: top, heatmap: try heatmap.map(parsedHeatmap))
        let page = try Report.make(runDirectory: directory, outputDirectory: output, options: options)
        print("report: \(page)")
    }
}
