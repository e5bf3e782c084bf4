import Foundation
import HypergridResults
import HypergridSearchSpace
import Testing
@testable import HypergridReport

@Suite struct ReportFileTests {
    @Test func pageInlinesEveryChartAndListsEveryPointAndTrial() throws {
        let fixture = try RunFixture("page")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let configs = RunFixture.seedGrid()
        try fixture.write(configs)
        let results = try RunResults.load(runDirectory: fixture.path)
        let report = Report(results: results, options: ReportOptions(top: 3))
        let html = report.html
        for chart in report.charts {
            #expect(html.contains("<figure id=\"figure-\(chart.id)\">\n\(chart.inlineSVG)"), "\(chart.id) inlined")
            #expect(html.contains("href=\"\(chart.fileName)\""))
        }
        #expect(html.components(separatedBy: "<tr id=\"point-").count - 1 == configs.count)
        for r in results.results { #expect(html.contains("<details id=\"trial-\(r.trial.hex)\">")) }
        #expect(html.contains("18 trials in the journal: 18 done, 0 diverged, 0 failed"))
        // Nothing is fetched: no external URLs besides the SVG namespace, and no refresh when finished.
        let urls = html.components(separatedBy: "http").dropFirst().map { $0.prefix(30) }
        #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") || $0.hasPrefix("-equiv") }, "\(urls)")
        #expect(!html.contains("http-equiv=\"refresh\""))
        // The script only sorts; the charts are drawn without it.
        #expect(html.components(separatedBy: "<script").count == 2)
    }

    /// The dataset line comes from RUN_DIR/dataset.json (a run from before it has none), with
    /// a user's file's imputed cells and dropped rows; an unreadable one is no line, not an error.
    @Test func theDatasetLineComesFromTheRunDirectory() throws {
        let fixture = try RunFixture("dataset-line")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try fixture.write(RunFixture.depthStudy())
        func page() throws -> String { Report(results: try RunResults.load(runDirectory: fixture.path), options: ReportOptions(top: 3)).html }
        #expect(try !page().contains("Dataset:"))
        let dataset = RunDataset(name: "iris_messy.csv", fingerprint: "ab", trainRows: 120, validationRows: 30, testRows: 0,
                                 features: 8, summary: "iris_messy.csv: 150 rows, 5 columns (2 categorical) → 8 features, 3 classes of 'species'; imputed 39 missing cells",
                                 splitRows: .init(unit: "line", train: [2, 3], validation: [4], test: []))
        try dataset.write(toRunDirectory: fixture.path)
        #expect(RunDataset.read(runDirectory: fixture.path) == dataset)
        let html = try page()
        #expect(html.contains("<p class=\"summary\">Dataset: iris_messy.csv: 150 rows, 5 columns (2 categorical) → 8 features, 3 classes of "))
        #expect(html.contains("; imputed 39 missing cells; train 120, validation 30, test 0 rows of 8 features.</p>"))
        try "{not json".write(toFile: fixture.file("dataset.json"), atomically: true, encoding: .utf8)
        #expect(RunDataset.read(runDirectory: fixture.path) == nil)
        #expect(try !page().contains("Dataset:"))
    }

    @Test func writeReplacesEachFileAndLeavesNoTemporaries() throws {
        let fixture = try RunFixture("write")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try fixture.write(RunFixture.depthStudy())
        let page = try Report.make(runDirectory: fixture.path)
        #expect(page == fixture.file("report.html"))
        let first = try String(contentsOfFile: page, encoding: .utf8)
        // A second run of the report (as the refresher does) replaces, never appends.
        let output = fixture.directory.appendingPathComponent("out").path
        try Report.make(runDirectory: fixture.path, outputDirectory: output)
        try Report.make(runDirectory: fixture.path, outputDirectory: output)
        let files = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(files == ["report-accuracy.svg", "report-architecture-curves.svg", "report-architectures.svg",
                          "report-heatmap.svg", "report-loss.svg", "report.html"])
        let second = try String(contentsOfFile: output + "/report.html", encoding: .utf8)
        #expect(second.count > 10_000 && abs(second.count - first.count) < 200)
        #expect(throws: ReportError("cannot write the report into \(page): it is a file, not a directory.")) {
            try Report.make(runDirectory: fixture.path, outputDirectory: page + "/sub")
        }
        let runFiles = try FileManager.default.contentsOfDirectory(atPath: fixture.path)
        #expect(!runFiles.contains { $0.hasSuffix(".tmp") }, "\(runFiles)")
    }

    @Test func unusableRunDirectoriesFailWithOneSentence() throws {
        let fixture = try RunFixture("errors")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let missing = fixture.file("nope")
        #expect(throws: ReportError("\(missing): no such run directory.")) { try Report.make(runDirectory: missing) }
        #expect(throws: ReportError("\(fixture.path) has no journal.jsonl, so it is not a run directory (hypergrid run --run-dir \(fixture.path) makes one).")) {
            try Report.make(runDirectory: fixture.path)
        }
        try fixture.write([])
        #expect(throws: ReportError("\(fixture.file("journal.jsonl")) has no finished trials yet, so there is nothing to report.")) {
            try Report.make(runDirectory: fixture.path)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.file("report.html")))
    }

    @Test func refresherKeepsThePageCurrentAndFinishesWithoutReload() throws {
        let fixture = try RunFixture("refresh")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let configs = RunFixture.seedGrid(hidden: [64])
        try fixture.write(Array(configs.prefix(2)))
        let logged = LockedLines()
        let refresher = ReportRefresher(runDirectory: fixture.path, minimumInterval: 0.05, log: { logged.append($0) })
        refresher.start()
        refresher.resultsArrived()
        let page = fixture.file("report.html")
        func pageText() -> String { (try? String(contentsOfFile: page, encoding: .utf8)) ?? "" }
        #expect(waitUntil(timeout: 30) { pageText().contains("2 trials in the journal") })
        #expect(pageText().contains("<meta http-equiv=\"refresh\" content=\"10\">"))
        #expect(pageText().contains("the run is in progress"))

        // More results (the fixture appends to the same journal, as a coordinator would).
        let journal = try Journal(directory: fixture.path)
        for (i, config) in configs.dropFirst(2).enumerated() {
            let trial = PlannedTrial(id: TrialID(config: config, datasetFingerprint: "fixture"), config: config,
                                     point: i + 2, repetition: 0, cost: 1)
            try journal.append(.trialResult(TrialResultRecord(trial: trial, attempt: 1, worker: "w",
                                                              outcome: RunFixture.outcome(config, status: .done, epochs: 4))))
        }
        journal.close()
        refresher.resultsArrived()
        #expect(waitUntil(timeout: 30) { pageText().contains("9 trials in the journal") })
        #expect(waitUntil(timeout: 5) { refresher.refreshCount == 2 })

        #expect(refresher.finish() == page)
        #expect(!pageText().contains("http-equiv"), "the final page no longer reloads")
        #expect(pageText().contains("9 trials in the journal"))
        #expect(logged.lines.isEmpty, "\(logged.lines)")
    }

    @Test func refresherLogsAFailureOnceAndFinishReportsNothingToWrite() throws {
        let fixture = try RunFixture("refresh-empty")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try fixture.write([])
        let logged = LockedLines()
        let refresher = ReportRefresher(runDirectory: fixture.path, minimumInterval: 0.01, log: { logged.append($0) })
        refresher.start()
        for _ in 0..<3 {
            refresher.resultsArrived()
            usleep(50_000)
        }
        #expect(waitUntil(timeout: 10) { !logged.lines.isEmpty })
        #expect(refresher.finish() == nil)
        #expect(logged.lines.count == 2, "one refresh failure (not repeated) and the final one: \(logged.lines)")
        #expect(logged.lines.allSatisfy { $0.contains("has no finished trials yet") })
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
