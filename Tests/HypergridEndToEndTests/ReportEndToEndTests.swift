import Foundation
import HypergridResults
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `hypergrid report` and `--report` with real runs, and the page checked in a real
/// headless Chromium (installed by scripts/install-deps.sh).
@Suite(.serialized) struct ReportEndToEndTests {
    static let chartIDs = ["chart-loss", "chart-accuracy", "chart-heatmap", "chart-architectures", "chart-architecture-curves"]

    /// 3 learning rates × 2 regs × 2 widths on synthetic data: 12 short trials.
    func writeGrid(in dir: URL, iterations: Int) throws -> URL {
        let url = dir.appendingPathComponent("grid.yaml")
        try """
        dataset: {name: synthetic, train_rows: 4000, validation_rows: 500, test_rows: 500}
        model: {hidden: [32, 64], init: he}
        training: {optimizer: sgd, learning_rate: [0.5, 0.1, 0.02], reg: [0.0001, 0.001], iterations: \(iterations), batch_size: 100, loss_every: 10}
        search: {kind: grid}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func results(_ runDir: URL) -> Int { (try? Journal.read(runDir.path).results.count) ?? 0 }

    @Test func coordinatorRefreshesTheReportWhileTheRunIsInProgress() throws {
        let dir = try temporaryDirectory("report-live")
        let grid = try writeGrid(in: dir, iterations: 3000)
        let runDir = dir.appendingPathComponent("run")
        let cache = dir.appendingPathComponent("cache").path
        let endpoint = "ipc://\(dir.path)/coordinator.sock"
        let coordinator = try CLIProcess(["coordinator", "--grid", grid.path, "--run-dir", runDir.path, "--bind", endpoint,
                                          "--heartbeat", "0.2", "--liveness", "3", "--cache-dir", cache, "--report"],
                                         log: dir.appendingPathComponent("coordinator.log"))
        defer { coordinator.signal(SIGKILL) }
        let first = try CLIProcess(["worker", "--connect", endpoint, "--name", "first", "--heartbeat", "0.2", "--cache-dir", cache],
                                   log: dir.appendingPathComponent("first.log"))
        defer { first.signal(SIGKILL) }
        // After the first result, stop the only worker: the run is now in progress for as
        // long as this test likes, and the report must show the results so far.
        #expect(waitUntil(timeout: 120) { results(runDir) >= 1 }, "\(coordinator.log)")
        first.signal(SIGKILL)
        _ = first.wait(timeout: 10)
        let page = runDir.appendingPathComponent("report.html")
        func pageText() -> String { (try? String(contentsOf: page, encoding: .utf8)) ?? "" }
        #expect(waitUntil(timeout: 30) { pageText().contains("the run is in progress") }, "\(coordinator.log)")
        let live = pageText()
        #expect(live.contains("<meta http-equiv=\"refresh\""))
        #expect(results(runDir) < 12, "the run must still be going")
        for id in Self.chartIDs { #expect(live.contains("id=\"\(id)\""), "\(id) in the live page") }

        let second = try CLIProcess(["worker", "--connect", endpoint, "--name", "second", "--heartbeat", "0.2", "--cache-dir", cache],
                                    log: dir.appendingPathComponent("second.log"))
        defer { second.signal(SIGKILL) }
        #expect(coordinator.wait(timeout: 300) == 0, "\(coordinator.log)")
        let final = pageText()
        #expect(!final.contains("http-equiv"), "the final page does not reload")
        #expect(final.contains("12 trials in the journal: 12 done"))
        #expect(coordinator.log.contains("report: \(page.path)"), "\(coordinator.log)")
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func reportCommandWritesAPageThatChromiumRenders() throws {
        let dir = try temporaryDirectory("report-chromium")
        let grid = try writeGrid(in: dir, iterations: 400)
        let runDir = dir.appendingPathComponent("run")
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--workers", "2", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path], in: dir)
        #expect(status == 0, "\(log)")
        let out = dir.appendingPathComponent("out")
        let (reportStatus, reportLog) = try CLIProcess.run(["report", runDir.path, "--top", "3", "--heatmap", "lr,reg",
                                                            "--output", out.path], in: dir)
        #expect(reportStatus == 0, "\(reportLog)")
        #expect(reportLog.contains("report: \(out.path)/report.html"), "\(reportLog)")
        let page = out.appendingPathComponent("report.html")

        // The DOM after Chromium parsed the page and ran its script: every chart is there,
        // with one loss curve per top trial and one heatmap cell per grid cell.
        let dom = try Chromium.run(["--dump-dom", page.absoluteString], in: dir)
        for id in Self.chartIDs { #expect(dom.contains("id=\"\(id)\""), "\(id) in the DOM") }
        #expect(dom.components(separatedBy: "class=\"series smoothed-loss\"").count - 1 == 3)
        #expect(dom.components(separatedBy: "class=\"cell\"").count - 1 == 6)
        #expect(dom.components(separatedBy: "<tr id=\"point-").count - 1 == 12)

        // The screenshot is not blank, and the heatmap's cells and the bars are on it
        // (their exact fill colours appear as pixels).
        let png = dir.appendingPathComponent("page.png")
        _ = try Chromium.run(["--screenshot=\(png.path)", "--window-size=1280,4200", page.absoluteString], in: dir)
        let image = try PNGImage(contentsOf: png)
        #expect(image.width == 1280 && image.height == 4200)
        let colours = Set(image.pixels)
        #expect(colours.count > 200, "distinct colours: \(colours.count)")
        let inked = image.pixels.filter { $0 != 0xFFFFFF }.count
        #expect(Double(inked) / Double(image.pixels.count) > 0.03, "non-white pixels: \(inked)")
        let heatmap = try String(contentsOf: out.appendingPathComponent("report-heatmap.svg"), encoding: .utf8)
        let cellFills = Self.fills(in: heatmap, class: "cell")
        #expect(cellFills.count == 6)
        for fill in cellFills { #expect(colours.contains(fill), "heatmap cell colour \(String(fill, radix: 16)) on screen") }
        let bars = try String(contentsOf: out.appendingPathComponent("report-architectures.svg"), encoding: .utf8)
        for fill in Set(Self.fills(in: bars, class: "bar")) { #expect(colours.contains(fill), "bar colour \(String(fill, radix: 16)) on screen") }

        // Errors are one line and a non-zero exit.
        let (missingStatus, missingLog) = try CLIProcess.run(["report", dir.appendingPathComponent("nope").path], in: dir)
        #expect(missingStatus != 0 && missingLog.contains("no such run directory"), "\(missingLog)")
        #expect(missingLog.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(missingLog)")
        let (badStatus, badLog) = try CLIProcess.run(["report", runDir.path, "--heatmap", "speed,reg"], in: dir)
        #expect(badStatus != 0 && badLog.contains("unknown parameter 'speed'"), "\(badLog)")
        try? FileManager.default.removeItem(at: dir)
    }

    /// The `fill="#rrggbb"` of every `<rect class="NAME" …>` in an SVG.
    static func fills(in svg: String, class name: String) -> [UInt32] {
        svg.components(separatedBy: "<rect class=\"\(name)\"").dropFirst().compactMap { element in
            guard let range = element.range(of: "fill=\"#") else { return nil }
            return UInt32(element[range.upperBound...].prefix(6), radix: 16)
        }
    }
}

/// Debian's `chromium`, headless, in a profile of its own.
enum Chromium {
    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs chromium with `arguments` and returns its standard output.
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 120) throws -> String {
        guard let executable else {
            throw CLIError("chromium is not installed; scripts/install-deps.sh installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                             "--force-device-scale-factor=1", "--force-color-profile=srgb",
                             "--user-data-dir=\(directory.appendingPathComponent("chromium-profile").path)"] + arguments
        let stdout = directory.appendingPathComponent("chromium-\(UUID().uuidString.prefix(8)).out")
        let stderr = directory.appendingPathComponent("chromium.err")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CLIError("chromium did not finish within \(Int(timeout)) s")
        }
        let output = try String(contentsOf: stdout, encoding: .utf8)
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            throw CLIError("chromium exited with \(process.terminationStatus): \(errors.suffix(2000))")
        }
        return output
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
