import Foundation
import HypergridCoordinator
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `hypergrid` process started with posix_spawn and reaped with `wait4`, which reports
/// that one child's CPU time exactly (Foundation's `Process` does not expose it, and
/// `RUSAGE_CHILDREN` would add up every worker too).
///
/// Its peak resident set is read from `/proc/PID/status` (`VmHWM`) while it runs, not from
/// `wait4`'s `ru_maxrss`: glibc's posix_spawn runs the child on the parent's memory until
/// `exec`, and Linux keeps that memory's high-water mark in `ru_maxrss`, so a test process
/// that had loaded CIFAR-10 made a 50 MB coordinator look like 950 MB.
final class MeasuredProcess {
    let pid: pid_t
    let logURL: URL
    private(set) var exit: (status: Int32, userSeconds: Double, systemSeconds: Double, peakRSSBytes: Int)?
    /// The last `VmHWM` read while the process ran (it only grows).
    private var highWaterBytes = 0

    init(_ arguments: [String], log: URL) throws {
        logURL = log
        pid = try spawnLogged(CLIProcess.executable.path, arguments, log: log)
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Reaps the process if it has exited, recording its status and usage; true once it has.
    @discardableResult
    func poll() -> Bool {
        if exit != nil { return true }
        readHighWater()
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, WNOHANG, &usage) == pid else { return false }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        exit = (exitCode(waitStatus: status), seconds(usage.ru_utime), seconds(usage.ru_stime), highWaterBytes)
        return true
    }

    private func readHighWater() {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return } // gone (or a zombie, which has no memory left to report)
        highWaterBytes = max(highWaterBytes, kib * 1024)
    }

    /// Waits up to `timeout` seconds, SIGKILLing the process when it is still running.
    func wait(timeout: Double) -> Int32? {
        if waitUntil(timeout: timeout, { poll() }) { return exit!.status }
        kill(pid, SIGKILL)
        while !poll() { usleep(10_000) }
        return nil
    }
}

extension FaultToleranceTests {
    /// Many real worker processes and thousands of very short trials on one 2-core machine.
    @Suite struct Load {
        static let workers = 64
        static let trials = 5_000

        @Test func sixtyFourWorkerProcessesFiveThousandTrialsEachOnce() throws {
            let scenario = try FaultScenario("load")
            defer { scenario.stop() }
            // 50 rates × 100 regularisations = 5,000 trials of 5 iterations on 200 rows.
            let grid = scenario.dir.appendingPathComponent("grid.yaml")
            let rates = (1...50).map { "\(Double($0) * 0.001)" }.joined(separator: ", ")
            let regs = (1...100).map { "\(Double($0) * 1e-5)" }.joined(separator: ", ")
            try """
            dataset: {name: synthetic, train_rows: 200, validation_rows: 100, test_rows: 0}
            model: {hidden: [4], init: he}
            training: {optimizer: sgd, learning_rate: [\(rates)], reg: [\(regs)], iterations: 5, batch_size: 20, loss_every: 5}
            search: {kind: grid}
            """.write(to: grid, atomically: true, encoding: .utf8)

            // The workers start first and connect as soon as the coordinator binds, so that
            // all 64 are in from the start rather than joining a run that is nearly over.
            var workers: [CLIProcess] = []
            for i in 1...Self.workers {
                workers.append(try scenario.start(scenario.workerArguments("w\(i)", heartbeat: 1, liveness: 10), log: "w\(i)"))
            }
            let start = Date()
            let coordinator = try MeasuredProcess(scenario.coordinatorArguments(grid: grid, heartbeat: 1, liveness: 10),
                                                  log: scenario.logURL("coordinator"))
            defer { if !coordinator.poll() { _ = coordinator.wait(timeout: 0) } }
            let status = coordinator.wait(timeout: 600)
            let wall = Date().timeIntervalSince(start)
            #expect(status == 0, "\(coordinator.log.suffix(3000))")
            let usage = try #require(coordinator.exit)
            for worker in workers { #expect(worker.wait(timeout: 30) == 0, "\(worker.log)") }

            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: Self.trials)
            let perWorker = Dictionary(grouping: replay.results.values, by: \.worker).mapValues(\.count)
            #expect(perWorker.count == Self.workers, "every worker process trained: \(perWorker.count)")
            #expect(replay.results.values.allSatisfy { $0.metrics.status != .failed })
            let cpu = usage.userSeconds + usage.systemSeconds
            let rssMB = Double(usage.peakRSSBytes) / 1e6
            // Bounded: the no-op benchmark's coordinator needs ~0.5-1.5 s and ~40-50 MB for
            // 5,000 trials; these limits leave room for a loaded machine, not for a leak.
            #expect(cpu < 60, "coordinator CPU \(cpu) s")
            #expect(rssMB > 5 && rssMB < 250, "coordinator peak RSS \(rssMB) MB")
            let busiest = perWorker.values.max() ?? 0, idlest = perWorker.values.min() ?? 0
            print("load: \(Self.workers) worker processes, \(Self.trials) trials each recorded once in \(String(format: "%.1f", wall)) s wall; coordinator CPU \(String(format: "%.2f", cpu)) s (user \(String(format: "%.2f", usage.userSeconds)), sys \(String(format: "%.2f", usage.systemSeconds))), peak RSS \(String(format: "%.0f", rssMB)) MB; trials per worker \(idlest)-\(busiest)")
        }
    }
}
