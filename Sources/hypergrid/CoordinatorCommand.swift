import ArgumentParser
import Foundation
import HypergridCoordinator
import Logging
import ZeroMQ

/// `hypergrid coordinator`: serve a grid to workers that connect over ZeroMQ.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Serve a grid's trials to workers and keep the journal and leaderboard.",
        discussion: "Restarting it on the same --run-dir resumes: finished trials are not run again.")

    @OptionGroup var grid: GridOptions
    @Option(help: "ZeroMQ endpoint to bind.")
    var bind: String = "tcp://127.0.0.1:5555"
    @Flag(help: "Allow binding a non-loopback address without encryption.")
    var insecure = false

    func validate() throws {
        try grid.validate()
        guard bind.hasPrefix("tcp://") || bind.hasPrefix("ipc://") || bind.hasPrefix("inproc://") else {
            throw ValidationError("--bind must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got '\(bind)'.")
        }
        if !insecure && !Endpoint.isLoopback(bind) {
            throw ValidationError("--bind \(bind) is not a loopback address: pass --insecure to serve it without encryption.")
        }
    }

    func run() throws {
        let logger = makeLogger("coordinator")
        let (_, offer, plan) = try grid.prepare(logger: logger)
        let server = try CoordinatorServer(
            plan: plan, offer: offer,
            options: CoordinatorOptions(bind: bind, runDirectory: grid.runDirectory, policy: grid.policy,
                                        liveStatus: true, summaryRows: grid.top),
            logger: logger)
        logger.info("listening on \(server.endpoint); start workers with: hypergrid worker --connect \(server.endpoint)")
        let report = grid.startReport(for: server, logger: logger)
        let stop = StopSignal.install()
        let summary = try server.run(shouldStop: { stop.isSet })
        try finish(server, summary, options: grid, stopped: stop.isSet, report: report)
    }
}
