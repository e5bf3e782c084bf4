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
    @Flag(help: "Allow binding a non-loopback address without encryption (without --key).")
    var insecure = false
    @OptionGroup var keys: ServerKeyOptions

    func validate() throws {
        try grid.validate()
        try keys.validate()
        guard bind.hasPrefix("tcp://") || bind.hasPrefix("ipc://") || bind.hasPrefix("inproc://") else {
            throw ValidationError("--bind must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got '\(bind)'.")
        }
        if !insecure && !keys.enabled && !Endpoint.isLoopback(bind) {
            throw ValidationError("--bind \(bind) is not a loopback address: give --key and --authorized-keys to encrypt it, or pass --insecure to serve it without encryption.")
        }
    }

    func run() throws {
        let logger = makeLogger("coordinator")
        // Key files first: a typo should not wait for the dataset's preprocessing.
        let curve = try keys.load()
        try CoordinatorServer.makeRunDirectory(grid.runDirectory)
        let (spec, offer, plan) = try grid.prepare(logger: logger)
        var options = CoordinatorOptions(bind: bind, runDirectory: grid.runDirectory, policy: grid.policy(for: spec),
                                        liveStatus: true, summaryRows: grid.top, curve: curve?.curve)
        options.keepModels = spec.search.keepModels
        let server = try CoordinatorServer(plan: plan, offer: offer, options: options, logger: logger, search: spec)
        if let curve {
            logger.info("CurveZMQ on: public key \(curve.publicKey.z85), \(curve.curve.authorizedKeys.count) authorized worker key(s)")
            logger.info("listening on \(server.endpoint); start workers with: hypergrid worker --connect \(server.endpoint) --key WORKER.key --coordinator-key \(keys.publicKeyFileHint)")
        } else {
            logger.info("listening on \(server.endpoint); start workers with: hypergrid worker --connect \(server.endpoint)")
        }
        let report = grid.startReport(for: server, logger: logger)
        let stop = StopSignal.install()
        let summary = try server.run(shouldStop: { stop.isSet })
        try finish(server, summary, options: grid, stopped: stop.isSet, report: report)
    }
}
