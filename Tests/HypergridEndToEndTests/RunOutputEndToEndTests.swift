import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `hypergrid run` prints: the coordinator's lines by default, with each local worker's
/// log kept in `RUN/logs/worker-N.log`; the workers' lines too with `--verbose`; and a worker
/// that dies named with the last line of its log.
@Suite(.serialized) struct RunOutputEndToEndTests {
    /// 6 synthetic points of a fraction of a second each, or long ones to kill a worker in.
    func writeGrid(in dir: URL, iterations: Int = 400) throws -> URL {
        let url = dir.appendingPathComponent("grid.yaml")
        try """
        dataset: {name: synthetic, train_rows: 4000, validation_rows: 500, test_rows: 500}
        model: {hidden: [32, 64], init: he}
        training: {optimizer: sgd, learning_rate: [0.5, 0.1, 0.02], iterations: \(iterations), batch_size: 100, loss_every: 10}
        search: {kind: grid}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Lines written by a worker's logger (`12:04:05 worker: connected to …`).
    func workerLines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains(" worker: ") }
    }

    func runArguments(_ dir: URL, grid: URL) -> [String] {
        ["run", "--grid", grid.path, "--workers", "2", "--run-dir", dir.appendingPathComponent("run").path,
         "--cache-dir", dir.appendingPathComponent("cache").path]
    }

    @Test func byDefaultOnlyTheCoordinatorSpeaksAndEachWorkersLogIsInTheRunDirectory() throws {
        let dir = try temporaryDirectory("run-quiet")
        let grid = try writeGrid(in: dir)
        let (status, output) = try CLIProcess.run(runArguments(dir, grid: grid), in: dir)
        #expect(status == 0, "\(output)")
        #expect(workerLines(output).isEmpty, "worker lines in run's output:\n\(output)")
        let resultLines = output.split(separator: "\n").filter { $0.contains(" run: trial ") && $0.contains(" done: val ") }
        #expect(resultLines.count == 6, "one line per result:\n\(output)")
        // Each result's line already counts it: the k-th says "k/6 done", with a best val.
        let counts = resultLines.compactMap { line in line.firstMatch(of: #/ — (\d+)\/6 done/#).map { Int($0.1)! } }
        #expect(counts == Array(1...6), "done counts in the result lines: \(counts)\n\(output)")
        #expect(resultLines.allSatisfy { $0.contains(", best val ") }, "\(output)")
        let logs = dir.appendingPathComponent("run/logs")
        #expect(output.contains("worker logs in \(logs.path)"), "\(output)")
        for index in 0..<2 {
            let log = try String(contentsOf: logs.appendingPathComponent("worker-\(index).log"), encoding: .utf8)
            #expect(workerLines(log).contains { $0.contains("connected to tcp://127.0.0.1:") }, "worker-\(index).log:\n\(log)")
            #expect(workerLines(log).contains { $0.contains("assigned trial ") }, "worker-\(index).log:\n\(log)")
            #expect(!log.contains(" run: "), "only the worker's own lines: \(log)")
        }
    }

    /// `--threads` reaches the local workers: each says so when it joins.
    @Test func threadsReachTheLocalWorkers() throws {
        let dir = try temporaryDirectory("run-threads")
        let grid = try writeGrid(in: dir)
        var arguments = runArguments(dir, grid: grid)
        arguments[arguments.firstIndex(of: "--workers")! + 1] = "1"
        let (status, output) = try CLIProcess.run(arguments + ["--threads", "2"], in: dir)
        #expect(status == 0, "\(output)")
        #expect(output.contains(", 2 threads)") && output.contains("threads=2"), "\(output)")
    }

    /// `--prefetch` reaches the local worker, which holds its next assignments while it trains
    /// (its log says one was queued behind another); every trial is still recorded once.
    @Test func prefetchReachesTheLocalWorkersAndEveryTrialIsRecordedOnce() throws {
        let dir = try temporaryDirectory("run-prefetch")
        let grid = try writeGrid(in: dir)
        var arguments = runArguments(dir, grid: grid)
        arguments[arguments.firstIndex(of: "--workers")! + 1] = "1"
        let (status, output) = try CLIProcess.run(arguments + ["--prefetch", "2"], in: dir)
        #expect(status == 0, "\(output)")
        #expect(output.contains("prefetch=2"), "\(output)")
        let log = try String(contentsOf: dir.appendingPathComponent("run/logs/worker-0.log"), encoding: .utf8)
        #expect(log.contains("; queued behind "), "\(log)")
        let replay = try expectEveryTrialExactlyOnce(dir.appendingPathComponent("run"), planned: 6)
        #expect(replay.results.values.allSatisfy { $0.metrics.status == .done })
    }

    @Test func verboseShowsTheWorkersLinesTooAndStillKeepsTheirLogs() throws {
        let dir = try temporaryDirectory("run-verbose")
        let grid = try writeGrid(in: dir)
        let (status, output) = try CLIProcess.run(runArguments(dir, grid: grid) + ["--verbose"], in: dir)
        #expect(status == 0, "\(output)")
        let shown = workerLines(output)
        #expect(shown.contains { $0.contains("assigned trial ") }, "\(output)")
        #expect(output.contains("run complete"), "\(output)")
        var logged: [Substring] = []
        for index in 0..<2 {
            logged += workerLines(try String(contentsOf: dir.appendingPathComponent("run/logs/worker-\(index).log"), encoding: .utf8))
        }
        #expect(Set(logged) == Set(shown), "the lines shown are the lines logged")
    }

    /// On a terminal (`script` gives the run one) the status line is redrawn in place, and
    /// every log line starts on a line of its own: the status line is erased before it.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) from util-linux"))
    func onATerminalTheStatusLineIsErasedBeforeEveryLogLine() throws {
        let dir = try temporaryDirectory("run-terminal")
        let grid = try writeGrid(in: dir, iterations: 3000)
        let command = ([CLIProcess.executable.path] + runArguments(dir, grid: grid)).joined(separator: " ")
        let (status, output) = try runTool("/usr/bin/script", ["-qec", command, "/dev/null"], in: dir, timeout: 120)
        #expect(status == 0, "\(output)")
        let erase = "\r\u{1B}[2K"
        #expect(output.contains(erase) && output.contains(" done, "), "a status line was drawn: \(output)")
        // Whatever follows the last erase on a line is what stays visible: a log line must
        // start there, and no status text may precede it.
        var misplaced: [String] = []
        // A terminal ends lines with "\r\n", one Character in Swift: split on any newline
        // ("\r" too, so what is left of an erase is ESC [2K).
        for line in output.split(whereSeparator: \.isNewline).map(String.init) where line.contains(" run: ") {
            let shown = line.components(separatedBy: "\u{1B}[2K").last!.trimmingCharacters(in: .whitespacesAndNewlines)
            if shown.firstMatch(of: #/^\d\d:\d\d:\d\d run: /#) == nil { misplaced.append(shown) }
        }
        #expect(misplaced.isEmpty, "log lines that follow status text: \(misplaced)")
    }

    @Test func aLocalWorkerThatDiesIsNamedAndARunWithNoneLeftStopsSayingSo() throws {
        let dir = try temporaryDirectory("run-worker-dies")
        let grid = try writeGrid(in: dir, iterations: 40_000)
        let runDir = dir.appendingPathComponent("run")
        let run = try CLIProcess(["run", "--grid", grid.path, "--workers", "1", "--run-dir", runDir.path,
                                  "--cache-dir", dir.appendingPathComponent("cache").path],
                                 log: dir.appendingPathComponent("run.log"))
        defer { run.signal(SIGKILL) }
        // Kill the one worker while it trains its first trial.
        #expect(waitUntil(timeout: 60) { run.log.contains(" → ") }, "\(run.log)")
        let children = childProcesses(of: run.pid)
        #expect(children.count == 1, "one local worker: \(children)")
        for child in children { kill(child, SIGKILL) }
        let status = run.wait(timeout: 60)
        let output = run.log
        #expect(status == 1, "\(output)")
        let log = runDir.appendingPathComponent("logs/worker-0.log").path
        #expect(output.contains("local worker 0 was killed by signal 9: "), "\(output)")
        #expect(output.contains("(log: \(log))"), "\(output)")
        #expect(output.contains("Error: every local worker exited before the grid was done; the first: local worker 0 was killed by signal 9"),
                "\(output)")
        #expect(output.contains("Rerun on the same --run-dir to resume."), "\(output)")
    }
}

/// The processes whose parent is `pid`, from `/proc/<pid>/stat` (its 4th field; the 2nd,
/// the command name in parentheses, may hold spaces, so fields are counted after the last ')').
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let child = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
    }
}
