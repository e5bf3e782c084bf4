import Foundation
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The fault-injection tests: real `hypergrid` processes whose workers, coordinator, links
/// and disks fail while a grid runs. Each test checks the journal and the leaderboard for
/// exactly one record per trial, not just the exit status.
///
/// One suite, serialized, so that these timing-dependent runs never compete with each
/// other for the machine's cores (heartbeats are seconds apart, so other suites running
/// beside them are harmless).
@Suite(.serialized) enum FaultToleranceTests {}

/// A run directory with a coordinator and workers started as a user would start them,
/// and the processes to kill when the test ends (call ``stop()`` in a `defer`).
final class FaultScenario {
    let dir: URL
    let runDir: URL
    /// The dataset cache of the coordinator and, unless a worker is given its own, of the workers.
    let cache: String
    /// `ipc://` in the test's directory, so that parallel runs never share an address.
    let endpoint: String
    private var processes: [CLIProcess] = []

    init(_ name: String) throws {
        dir = try temporaryDirectory(name)
        runDir = dir.appendingPathComponent("run")
        cache = dir.appendingPathComponent("cache").path
        endpoint = "ipc://\(dir.path)/coordinator.sock"
    }

    /// A synthetic grid of `widths × learningRates × iterations` one-hidden-layer nets, each
    /// trial 0.3-1 s of training on the release build (3,000 iterations); returns its file.
    func writeGrid(widths: [Int], learningRates: [Double], iterations: [Int], trainRows: Int = 4000) throws -> URL {
        let url = dir.appendingPathComponent("grid.yaml")
        func list<T>(_ values: [T]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        try """
        dataset: {name: synthetic, train_rows: \(trainRows), validation_rows: 500, test_rows: 500}
        model: {hidden: \(list(widths)), init: he}
        training: {optimizer: sgd, learning_rate: \(list(learningRates)), iterations: \(list(iterations)), batch_size: 100, loss_every: 100}
        search: {kind: grid}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `hypergrid coordinator` on this scenario's endpoint (unless `bind` is given).
    func coordinatorArguments(grid: URL, runDir: URL? = nil, heartbeat: Double, liveness: Int,
                              bind: String? = nil, extra: [String] = []) -> [String] {
        ["coordinator", "--grid", grid.path, "--run-dir", (runDir ?? self.runDir).path, "--bind", bind ?? endpoint,
         "--heartbeat", "\(heartbeat)", "--liveness", "\(liveness)", "--cache-dir", cache, "--top", "0"] + extra
    }

    /// `hypergrid worker --name name` connecting to `connect` (default: this scenario's endpoint).
    func workerArguments(_ name: String, heartbeat: Double, liveness: Int, cache: String? = nil,
                         connect: String? = nil) -> [String] {
        ["worker", "--connect", connect ?? endpoint, "--name", name, "--heartbeat", "\(heartbeat)",
         "--liveness", "\(liveness)", "--cache-dir", cache ?? self.cache]
    }

    /// Starts `hypergrid arguments…`, logging to `DIR/log.log`.
    @discardableResult
    func start(_ arguments: [String], log: String) throws -> CLIProcess {
        remember(try CLIProcess(arguments, log: logURL(log)))
    }

    @discardableResult
    func remember(_ process: CLIProcess) -> CLIProcess {
        processes.append(process)
        return process
    }

    func logURL(_ name: String) -> URL { dir.appendingPathComponent("\(name).log") }

    /// SIGKILLs every process still running (stopped ones too) and reaps them.
    func stop() {
        for p in processes where p.isRunning { p.signal(SIGKILL) }
        for p in processes { _ = p.wait(timeout: 10) }
    }
}

/// A test could not set up its fault (mount, spawn...); the description says what failed.
struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

/// Checks that every one of `planned` trials has exactly one record in the journal and
/// appears in exactly one row of `leaderboard.csv`, counting records per trial id (the
/// replay's own de-duplication is not trusted), and that every trial finished `done`.
@discardableResult
func expectEveryTrialExactlyOnce(_ runDir: URL, planned: Int, rows expectedRows: Int? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws -> JournalReplay {
    let replay = try Journal.read(runDir.path)
    #expect(replay.tornTail == nil, "the journal ends on a complete line", sourceLocation: sourceLocation)
    var records: [TrialID: Int] = [:]
    for entry in replay.entries {
        if let id = entry.record.trialID { records[id, default: 0] += 1 }
    }
    let repeated = records.filter { $0.value > 1 }.map { "\($0.key.short) ×\($0.value)" }
    #expect(repeated.isEmpty, "trials recorded more than once: \(repeated)", sourceLocation: sourceLocation)
    #expect(records.count == planned, "distinct trials in the journal", sourceLocation: sourceLocation)
    #expect(replay.results.count == planned && replay.failures.isEmpty, "every trial has a result, none failed",
            sourceLocation: sourceLocation)
    let rows = try Leaderboard.load(runDir.appendingPathComponent(Leaderboard.fileName).path)
    var appearances: [TrialID: Int] = [:]
    for row in rows { for id in row.trials { appearances[id, default: 0] += 1 } }
    #expect(rows.count == (expectedRows ?? planned), "leaderboard rows", sourceLocation: sourceLocation)
    #expect(appearances.values.allSatisfy { $0 == 1 }, "each trial in one leaderboard row", sourceLocation: sourceLocation)
    #expect(Set(appearances.keys) == Set(records.keys), "the leaderboard shows the journal's trials", sourceLocation: sourceLocation)
    return replay
}

/// One `trial X → W (attempt n)` line of a coordinator's log.
struct LoggedAssignment: Equatable {
    var trial: String
    var worker: String
    var attempt: Int
}

/// The assignments a coordinator logged, in order.
func assignments(in log: String) -> [LoggedAssignment] {
    log.split(separator: "\n").compactMap { line in
        guard let arrow = line.range(of: " → "), let trialStart = line.range(of: "trial ", options: .backwards, range: line.startIndex..<arrow.lowerBound),
              let attemptStart = line.range(of: " (attempt ", range: arrow.upperBound..<line.endIndex),
              let close = line[attemptStart.upperBound...].firstIndex(of: ")"),
              let attempt = Int(line[attemptStart.upperBound..<close]) else { return nil }
        return LoggedAssignment(trial: String(line[trialStart.upperBound..<arrow.lowerBound]),
                                worker: String(line[arrow.upperBound..<attemptStart.lowerBound]), attempt: attempt)
    }
}

/// How many times `needle` occurs in `text`.
func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// How many trainings of `trial` (its short id) a worker started, from its log: the
/// worker logs `assigned trial X (attempt n)` when it starts or queues one, and other
/// wording when it already has the result or the trial.
func trainingsStarted(_ trial: String, workerLog: String) -> Int {
    occurrences(of: "assigned trial \(trial) (attempt", in: workerLog)
}

/// The trial ids (hex) whose results a worker keeps on disk, unacknowledged.
func unacknowledgedResults(cache: String) -> [String] {
    let dir = URL(fileURLWithPath: cache).appendingPathComponent("pending-results").path
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return files.filter { $0.hasSuffix(".result") }.map { String($0.dropLast(".result".count)) }.sorted()
}

/// The number of complete result records in a run directory's journal (0 if none yet).
func journalledResults(_ runDir: URL) -> Int {
    (try? Journal.read(runDir.path))?.results.count ?? 0
}

/// The trials (short ids) a worker started training, in order, from its log.
func startedTrials(workerLog: String) -> [String] {
    let marker = "assigned trial "
    return workerLog.split(separator: "\n").compactMap { line in
        guard let start = line.range(of: marker), let end = line[start.upperBound...].range(of: " (attempt") else { return nil }
        return String(line[start.upperBound..<end.lowerBound])
    }
}
