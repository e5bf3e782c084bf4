import ArgumentParser
import Foundation
import HypergridCoordinator
import Logging

/// `hypergrid run`: a coordinator and N local worker processes in one command.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a grid search on this machine: a coordinator plus local worker processes.",
        discussion: """
        The workers are separate processes of this program talking to the coordinator over
        ZeroMQ on loopback, exactly as remote workers would. Ctrl-C stops all of them;
        rerunning on the same --run-dir resumes.
        """)

    @OptionGroup var grid: GridOptions
    @Option(help: "Local worker processes (default: the number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        try grid.validate()
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1, got \(workers).") }
    }

    func run() throws {
        let logger = makeLogger("run")
        let (_, offer, plan) = try grid.prepare(logger: logger)
        let server = try CoordinatorServer(
            plan: plan, offer: offer,
            options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: grid.runDirectory,
                                        policy: grid.policy, liveStatus: true, summaryRows: grid.top),
            logger: logger)
        let report = grid.startReport(for: server, logger: logger)
        let pool = LocalWorkerPool()
        let stop = StopSignal.install()
        var workerArguments = ["worker", "--connect", server.endpoint,
                               "--heartbeat", "\(grid.heartbeat)", "--liveness", "\(grid.liveness)"]
        if let cache = grid.cacheDir { workerArguments += ["--cache-dir", cache] }
        try pool.start(count: workers, executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                       arguments: workerArguments)
        logger.info("\(workers) local workers started, coordinator on \(server.endpoint), run directory \(grid.runDirectory)")
        defer { pool.stop(grace: 5) }
        let summary = try server.run(shouldStop: { stop.isSet })
        try finish(server, summary, options: grid, stopped: stop.isSet, report: report)
    }
}
