#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HypergridCoordinator
import HypergridLogging
import HypergridResults
import HypergridSearchSpace
import Logging

/// One measured configuration: a real coordinator in this process (fresh run directory,
/// fsync'd journal, leaderboard) serving `workers` no-op worker processes over TCP loopback.
struct CoordinatorRun {
    var trials: Int
    var workers: Int
    /// Assignments each no-op worker holds besides the one it answers (its `ready`'s prefetch).
    var prefetch: Int
    var logLevel: Logger.Level
    var keep: Bool

    /// What one run measured; printed as one `key=value` line for the driver.
    struct Result {
        var fields: [(String, String)] = []
        subscript(key: String) -> String? { fields.first { $0.0 == key }?.1 }
        mutating func set(_ key: String, _ value: Any) { fields.append((key, "\(value)")) }
        var line: String { fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
        init() {}
        init(line: String) {
            for pair in line.split(separator: " ") {
                guard let eq = pair.firstIndex(of: "=") else { continue }
                fields.append((String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
            }
        }
    }

    func run() throws -> Result {
        var result = Result()
        let runDirectory = (NSTemporaryDirectory() as NSString)
            .appendingPathComponent("hypergrid-coordinator-bench-\(getpid())-\(trials)x\(workers)")
        try? FileManager.default.removeItem(atPath: runDirectory)
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: runDirectory) } }

        result.set("fsync_ms", format(fsyncLatency(in: runDirectory) * 1000, 2))
        let planStart = now()
        let plan = BenchPlan.trials(trials)
        result.set("plan_s", format(now() - planStart, 3))

        let logPath = (runDirectory as NSString).appendingPathComponent("coordinator.log")
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw NoOpWorker.Failure(description: "cannot create \(logPath)") }
        defer { close(logFD) }
        // The executable's own handler, writing each line with one write(2) to the log
        // file: the benchmark pays what a real coordinator pays per log line.
        var logger = Logger(label: "hypergrid.coordinator") { _ in
            PlainLogHandler(label: "coordinator") { line in
                var bytes = Array(line.utf8)
                _ = bytes.withUnsafeMutableBytes { write(logFD, $0.baseAddress, $0.count) }
            }
        }
        logger.logLevel = logLevel

        let offer = DatasetOffer(spec: DatasetSpec(kind: .synthetic), fingerprint: BenchPlan.fingerprint,
                                 shape: BenchPlan.shape, cacheFile: nil)
        var server: CoordinatorServer? = try CoordinatorServer(
            plan: plan, offer: offer,
            options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: runDirectory), logger: logger)
        let endpoint = server!.endpoint

        // Every worker process has started, connected its socket and queued its `ready`
        // before the clock starts, so that process start-up is not counted as coordinator
        // overhead (libzmq completes the TCP connection in the background, within a few ms).
        var children: [Child] = []
        for i in 0..<workers {
            children.append(try Child(["--worker", endpoint, "--name", "noop-\(i)", "--prefetch", "\(prefetch)"]))
        }
        for child in children {
            guard child.readLine() == "connected" else {
                throw NoOpWorker.Failure(description: "a worker did not start: \(child.finish())")
            }
        }

        let before = Usage.current
        let start = now()
        let summary = try server!.run()
        let wall = now() - start
        let after = Usage.current
        // Closing the socket (its linger) delivers the last shutdowns; closing the journal
        // releases its lock for the check below.
        server = nil

        var tally = NoOpWorker.Tally()
        var failures: [String] = []
        for (i, child) in children.enumerated() {
            let (lines, status) = child.finish()
            guard status == 0, let last = lines.last, let t = NoOpWorker.Tally(line: last) else {
                failures.append("worker \(i) exited \(status): \(lines.joined(separator: " | "))")
                continue
            }
            if t.unacknowledged > 0 { failures.append("worker \(i) has \(t.unacknowledged) unacknowledged results") }
            tally.assigns += t.assigns
            tally.results += t.results
            tally.resends += t.resends
            tally.acks += t.acks
            tally.heartbeats += t.heartbeats
        }
        let workersUsage = Usage.children

        result.set("trials", trials)
        result.set("workers", workers)
        result.set("prefetch", prefetch)
        result.set("wall_s", format(wall, 3))
        result.set("trials_per_s", format(Double(trials) / wall, 0))
        result.set("coord_cpu_s", format(after.cpu - before.cpu, 3))
        result.set("coord_user_s", format(after.user - before.user, 3))
        result.set("coord_sys_s", format(after.system - before.system, 3))
        result.set("coord_peak_rss_mb", format(Double(after.maxRSS) / 1024, 1))
        result.set("workers_cpu_s", format(workersUsage.cpu, 3))
        result.set("results", tally.results)
        result.set("resends", tally.resends)
        result.set("heartbeats", tally.heartbeats)
        result.set("log_lines", (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").count ?? 0)

        if summary.done != trials || summary.haltReason != nil {
            failures.append("the run ended with \(summary.done) of \(trials) done, halt: \(summary.haltReason ?? "none")")
        }
        failures += verify(runDirectory, plan: plan)
        if tally.acks != trials { failures.append("\(tally.acks) acknowledgements for \(trials) trials") }
        result.set("verified", failures.isEmpty ? "yes" : "NO")
        for failure in failures { FileHandle.standardError.write(Data("check failed: \(failure)\n".utf8)) }
        return result
    }

    /// The journal has every planned trial exactly once, and the leaderboard on disk has
    /// a row for each (every trial is its own grid point); returns what is wrong.
    func verify(_ runDirectory: String, plan: [PlannedTrial]) -> [String] {
        var failures: [String] = []
        do {
            let replay = try Journal.read(runDirectory)
            let ids = replay.entries.compactMap(\.record.trialID)
            let planned = Set(plan.map(\.id))
            if ids.count != plan.count { failures.append("the journal has \(ids.count) trial records for \(plan.count) trials") }
            if Set(ids) != planned { failures.append("the journal's trials are not the plan's") }
            if replay.duplicates != 0 { failures.append("the journal has \(replay.duplicates) duplicate records") }
            if replay.tornTail != nil { failures.append("the journal ends in a torn line") }
            let rows = try Leaderboard.load((runDirectory as NSString).appendingPathComponent(Leaderboard.fileName))
            if rows.count != plan.count { failures.append("leaderboard.csv has \(rows.count) rows for \(plan.count) trials") }
            if rows.map(\.trials) != Leaderboard(replay: replay).rows.map(\.trials) {
                failures.append("leaderboard.csv differs from the journal's leaderboard")
            }
        } catch {
            failures.append("cannot read the run: \(error)")
        }
        return failures
    }
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
