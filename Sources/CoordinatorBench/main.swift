// hypergrid-coordinator-bench: the coordinator's overhead, in no-op trials dispatched
// per second over TCP loopback.
//
//   swift build -c release --scratch-path .build-overhead --product hypergrid-coordinator-bench
//   .build-overhead/release/hypergrid-coordinator-bench [--trials 5000,20000] [--workers 1,4,16]
//       [--prefetch 0,2] [--repeat R] [--log-level info] [--keep]
//
// Each configuration (N trials × K workers) runs in its own coordinator process, so its
// CPU time and peak RSS are its own: a real CoordinatorServer with a fresh run directory
// under $TMPDIR (fsync'd journal, atomically rewritten leaderboard, log lines in the
// `hypergrid` format to coordinator.log there), and K worker processes that answer every
// assignment at once (holding up to `--prefetch` more, as `hypergrid worker --prefetch`
// does, so that the next is there while a result travels). The clock runs from `run()` until it returns; then the journal is
// checked to hold every trial exactly once and the leaderboard a row for each.
//
// Columns: coord_cpu_s is the coordinator process's CPU time during run() (its libzmq
// I/O thread included), coord_peak_rss_mb its peak RSS up to then (plan included),
// workers_cpu_s the K worker processes' total, and fsync_ms the median time to append
// and fsync a 300-byte line in the run directory just before the run: a worker waits for
// its result's fsync before its next trial, so K workers cannot beat K / fsync_ms.
//
// Hidden modes (this executable starting itself):
//   --coordinator --trials N --workers K --prefetch P [--log-level L] [--keep]   one configuration
//   --worker ENDPOINT --name NAME --prefetch P                                    one no-op worker
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hypergrid-coordinator-bench: \(message)\n".utf8))
    exit(2)
}

var args = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag) else { return nil }
    guard i + 1 < args.count else { fail("\(flag) needs a value") }
    return args[i + 1]
}
func list(_ flag: String, _ fallback: [Int]) -> [Int] {
    guard let text = value(flag) else { return fallback }
    let values = text.split(separator: ",").compactMap { Int($0) }
    guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else { fail("\(flag) takes positive integers, e.g. 1,4,16") }
    return values
}
let logLevel: Logger.Level = {
    guard let text = value("--log-level") else { return .info }
    guard let level = Logger.Level(rawValue: text) else { fail("--log-level: trace, debug, info, notice, warning, error or critical") }
    return level
}()
let keep = args.contains("--keep")
/// `--prefetch`: counts from 0 to 8 (`WorkerHello.maxPrefetch`).
let prefetchCounts: [Int] = {
    guard let text = value("--prefetch") else { return [0] }
    let values = text.split(separator: ",").compactMap { Int($0) }
    guard !values.isEmpty, values.allSatisfy({ (0...8).contains($0) }) else { fail("--prefetch takes counts from 0 to 8, e.g. 0,2") }
    return values
}()

if let endpoint = value("--worker") {
    let worker = NoOpWorker(endpoint: endpoint, name: value("--name") ?? "noop-\(getpid())", prefetch: prefetchCounts[0])
    do {
        let tally = try worker.run(connected: { print("connected"); fflush(stdout) })
        print(tally.line)
        exit(tally.unacknowledged == 0 ? 0 : 1)
    } catch {
        fail("\(error)")
    }
}

if args.contains("--coordinator") {
    let run = CoordinatorRun(trials: list("--trials", [5000])[0], workers: list("--workers", [1])[0],
                             prefetch: prefetchCounts[0], logLevel: logLevel, keep: keep)
    do {
        let result = try run.run()
        print(result.line)
        exit(result["verified"] == "yes" ? 0 : 1)
    } catch {
        fail("\(error)")
    }
}

if args.contains("--help") {
    print("usage: hypergrid-coordinator-bench [--trials 5000,20000] [--workers 1,4,16] [--prefetch 0,2] [--repeat R] [--log-level info] [--keep]")
    exit(0)
}

// The driver: one coordinator process per configuration and repetition. Repetitions go
// round all configurations, so that a busy minute on the shared machine does not land
// on every repetition of one configuration.
let trialCounts = list("--trials", [5000, 20000])
let workerCounts = list("--workers", [1, 4, 16])
let repeats = list("--repeat", [1])[0]
print("load average \(loadAverages()) on \(ProcessInfo.processInfo.activeProcessorCount) CPUs; coordinator log level \(logLevel)")
let columns = ["trials", "workers", "prefetch", "trials_per_s", "wall_s", "coord_cpu_s", "coord_user_s", "coord_sys_s",
               "coord_peak_rss_mb", "workers_cpu_s", "fsync_ms", "resends", "log_lines", "verified", "load"]
print(columns.joined(separator: "\t"))
var failed = false
for _ in 0..<repeats {
    for trials in trialCounts {
        for workers in workerCounts {
          for prefetch in prefetchCounts {
            var arguments = ["--coordinator", "--trials", "\(trials)", "--workers", "\(workers)",
                             "--prefetch", "\(prefetch)", "--log-level", logLevel.rawValue]
            if keep { arguments.append("--keep") }
            do {
                let child = try Child(arguments)
                let (lines, status) = child.finish()
                var result = CoordinatorRun.Result(line: lines.last ?? "")
                result.set("load", loadAverages().split(separator: " ").first.map(String.init) ?? "?")
                if status != 0 { failed = true }
                print(columns.map { result[$0] ?? "-" }.joined(separator: "\t"))
                fflush(stdout)
            } catch {
                fail("cannot start a coordinator process: \(error)")
            }
          }
        }
    }
}
print("load average \(loadAverages())")
exit(failed ? 1 : 0)
