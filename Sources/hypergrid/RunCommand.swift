import ArgumentParser
import Foundation
import HypergridCoordinator
import HypergridWorker
import Logging
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// `hypergrid run`: a coordinator and N local worker processes in one command.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a grid search on this machine: a coordinator plus local worker processes.",
        discussion: """
        The workers are separate processes of this program talking to the coordinator over
        ZeroMQ on loopback, exactly as remote workers would. Ctrl-C stops all of them;
        rerunning on the same --run-dir resumes.

        The output is the coordinator's: a line per result and, on a terminal, a status line
        redrawn in place. Each worker's log is appended to RUN_DIR/logs/worker-N.log (worker N
        is named <host>:local-N); --verbose also shows the workers' lines here, without the status
        line, which they would break. A worker that exits early is reported with the last line
        of its log.

        With --key and --authorized-keys the coordinator speaks CurveZMQ even on loopback.
        The local workers then get a fresh key pair of their own, written to a private
        temporary directory (mode 0700) that is deleted when the run ends, and admitted
        beside the authorized keys.
        """)

    @OptionGroup var grid: GridOptions
    @OptionGroup var keys: ServerKeyOptions
    @Option(help: "Local worker processes (default: the number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Threads each local worker trains a trial on; results are the same bits at any count. A search whose last rung or refit has one trial left can use the idle cores: --workers 1 --threads 2.")
    var threads: Int = 1
    @Option(help: "Assignments each local worker holds besides the one training, 0 to 8: the next starts as soon as a trial ends. For grids of trials that train in milliseconds (small tables).")
    var prefetch: Int = 0
    @Flag(name: .shortAndLong, help: "Show the workers' log lines too, beside the coordinator's (they are kept in RUN_DIR/logs either way).")
    var verbose = false

    func validate() throws {
        try grid.validate()
        try keys.validate()
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1, got \(workers).") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads).") }
        guard (0...WorkerClient.Options.maxPrefetch).contains(prefetch) else {
            throw ValidationError("--prefetch must be 0 to \(WorkerClient.Options.maxPrefetch), got \(prefetch).")
        }
        // The local workers inherit HYPERGRID_KERNEL: refuse a bad one before starting them.
        try applyKernelChoice()
    }

    func run() throws {
        let logger = makeLogger("run")
        let localKeys = try keys.enabled ? LocalWorkerKeys() : nil
        defer { localKeys?.remove() }
        let curve = try keys.load(extraAuthorized: localKeys.map { [$0.publicKey] } ?? [])
        try CoordinatorServer.makeRunDirectory(grid.runDirectory)
        let (spec, offer, plan) = try grid.prepare(logger: logger)
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: grid.runDirectory,
                                        policy: grid.policy(for: spec), liveStatus: !verbose, summaryRows: grid.top,
                                        curve: curve?.curve)
        options.keepModels = spec.search.keepModels
        let server = try CoordinatorServer(plan: plan, offer: offer, options: options, logger: logger, search: spec)
        let report = grid.startReport(for: server, logger: logger)
        let pool = LocalWorkerPool()
        let stop = StopSignal.install()
        var workerArguments = ["worker", "--connect", server.endpoint,
                               "--heartbeat", "\(grid.heartbeat)", "--liveness", "\(grid.liveness)",
                               "--threads", "\(threads)", "--prefetch", "\(prefetch)"]
        if let cache = grid.cacheDir { workerArguments += ["--cache-dir", cache] }
        if let localKeys, let curve {
            try localKeys.writeCoordinatorKey(curve.publicKey)
            workerArguments += ["--key", localKeys.secretFile, "--coordinator-key", localKeys.coordinatorFile]
            logger.info("CurveZMQ on: public key \(curve.publicKey.z85), \(curve.curve.authorizedKeys.count) authorized worker key(s) including the local workers' \(localKeys.publicKey.z85)")
        }
        let logDirectory = grid.runDirectory + "/logs"
        try pool.start(count: workers, executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                       arguments: workerArguments, logDirectory: logDirectory, echo: verbose)
        logger.info("\(workers) local workers started, coordinator on \(server.endpoint), run directory \(grid.runDirectory), worker logs in \(logDirectory)")
        defer { pool.stop(grace: 5) }
        var exits: [LocalWorkerExit] = []
        let summary = try server.run(shouldStop: {
            // A worker that dies says why only in its log: name it here. With every local
            // worker gone nothing can finish the grid, so the run stops instead of waiting.
            for exit in pool.newlyExited() {
                server.warn(exit.description)
                exits.append(exit)
            }
            return stop.isSet || pool.allExited
        })
        if !stop.isSet, summary.haltReason == nil, summary.unfinished > 0, pool.allExited {
            try? finish(server, summary, options: grid, stopped: true, report: report)
            throw CoordinatorError("every local worker exited before the grid was done; the first: \(exits.first?.description ?? "unknown"). Rerun on the same --run-dir to resume.")
        }
        try finish(server, summary, options: grid, stopped: stop.isSet, report: report)
    }
}

/// An ephemeral key pair for the local workers of `hypergrid run`, in a private
/// temporary directory that only this user can enter.
final class LocalWorkerKeys {
    let directory: String
    let publicKey: CurveKey
    var secretFile: String { directory + "/worker.key" }
    var coordinatorFile: String { directory + "/coordinator.pub" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/hypergrid-keys.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CoordinatorError("cannot create a private directory for the local workers' keys in \(NSTemporaryDirectory()): \(String(cString: strerror(errno))).")
        }
        directory = String(cString: made)
        publicKey = try CurveKeyFile.writePair(prefix: directory + "/worker", force: false).publicKey
    }

    func writeCoordinatorKey(_ key: CurveKey) throws {
        try (key.z85 + "\n").write(toFile: coordinatorFile, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
