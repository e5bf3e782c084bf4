import ArgumentParser
import Foundation
import HypergridCoordinator
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

        With --key and --authorized-keys the coordinator speaks CurveZMQ even on loopback.
        The local workers then get a fresh key pair of their own, written to a private
        temporary directory (mode 0700) that is deleted when the run ends, and admitted
        beside the authorized keys.
        """)

    @OptionGroup var grid: GridOptions
    @OptionGroup var keys: ServerKeyOptions
    @Option(help: "Local worker processes (default: the number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        try grid.validate()
        try keys.validate()
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1, got \(workers).") }
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
        let server = try CoordinatorServer(
            plan: plan, offer: offer,
            options: CoordinatorOptions(bind: "tcp://127.0.0.1:*", runDirectory: grid.runDirectory,
                                        policy: grid.policy, liveStatus: true, summaryRows: grid.top,
                                        curve: curve?.curve),
            logger: logger, search: spec)
        let report = grid.startReport(for: server, logger: logger)
        let pool = LocalWorkerPool()
        let stop = StopSignal.install()
        var workerArguments = ["worker", "--connect", server.endpoint,
                               "--heartbeat", "\(grid.heartbeat)", "--liveness", "\(grid.liveness)"]
        if let cache = grid.cacheDir { workerArguments += ["--cache-dir", cache] }
        if let localKeys, let curve {
            try localKeys.writeCoordinatorKey(curve.publicKey)
            workerArguments += ["--key", localKeys.secretFile, "--coordinator-key", localKeys.coordinatorFile]
            logger.info("CurveZMQ on: public key \(curve.publicKey.z85), \(curve.curve.authorizedKeys.count) authorized worker key(s) including the local workers' \(localKeys.publicKey.z85)")
        }
        try pool.start(count: workers, executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                       arguments: workerArguments)
        logger.info("\(workers) local workers started, coordinator on \(server.endpoint), run directory \(grid.runDirectory)")
        defer { pool.stop(grace: 5) }
        let summary = try server.run(shouldStop: { stop.isSet })
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
