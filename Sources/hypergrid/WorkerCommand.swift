import ArgumentParser
import Foundation
import HypergridLogging
import HypergridWorker
import Logging
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// `hypergrid worker`: trains the trials a coordinator hands out, until it says `shutdown`.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train trials handed out by a coordinator and send their results back.",
        discussion: """
        Connects to the coordinator's address, heartbeats, reconnects with backoff when it goes \
        silent, and keeps every result on disk (in the cache directory) until the coordinator \
        acknowledges it. Datasets come from the cache, from source files on this machine, or \
        from the coordinator. SIGINT/SIGTERM hand the running trial back and exit 0; a second \
        signal exits at once.

        With --key and --coordinator-key the connection is encrypted and authenticated \
        (CurveZMQ). A coordinator that does not list this worker's public key, or whose key \
        is not the one given, never answers: the worker says so, keeps retrying with backoff \
        and exits after --give-up-after.

        Exit status: 0 shutdown or interrupted, 64 invalid arguments (a malformed --connect \
        included), 2 unresolvable host, 3 refused by the coordinator, 4 protocol version \
        mismatch, 5 coordinator unreachable, 6 quarantined by the coordinator (its trials \
        kept failing or a result was not believed), 7 its training thread hung on a trial the \
        coordinator took back (restart it), 1 other errors (an unusable key file included).

        Example:
          hypergrid worker --connect tcp://10.0.0.5:5555 --name gpu-box-1 \
            --key keys/gpu-box-1.key --coordinator-key keys/coordinator.pub
        """)

    @Option(help: "The coordinator's address, tcp://HOST:PORT.")
    var connect: String
    @Option(help: "Threads each trial trains on; results are bit-identical at any count.")
    var threads: Int = 1
    @Option(help: "Assignments to hold besides the one training, 0 to 8: the next starts as soon as a trial ends. For trials of milliseconds.")
    var prefetch: Int = 0
    @Option(help: "Name shown in the coordinator's logs and journal (default: host:pid).")
    var name: String?
    @Option(name: .customLong("cache-dir"), help: "Where datasets and unacknowledged results are kept (default ~/.cache/hypergrid).")
    var cacheDir: String?
    @Option(help: "Seconds between heartbeats.")
    var heartbeat: Double = 1.0
    @Option(help: "Heartbeats of silence after which the connection is remade.")
    var liveness: Int = 4
    @Option(name: .customLong("give-up-after"), help: "Exit after this many seconds without hearing from the coordinator while idle (0: never).")
    var giveUpAfter: Double = 300
    @Option(help: "This worker's secret key file (from hypergrid keygen); turns on CurveZMQ.")
    var key: String?
    @Option(name: .customLong("coordinator-key"), help: "The coordinator's public key file (its .pub).")
    var coordinatorKey: String?
    // A fault hook for the end-to-end tests (docs/fault-tolerance.md), hidden from --help.
    @Option(name: .customLong("test-wedge-training-after"),
            help: ArgumentHelp("Test fault: wedge the training thread after N iterations.", visibility: .hidden))
    var wedgeTrainingAfter: Int?
    @Flag(name: .customLong("test-fail-trials"), help: ArgumentHelp("Test fault: report every trial failed.", visibility: .hidden))
    var failEveryTrial = false

    func validate() throws {
        do {
            try WorkerEndpoint.validate(connect)
        } catch let error as WorkerError {
            throw ValidationError(error.description)
        }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if !(0...WorkerClient.Options.maxPrefetch).contains(prefetch) {
            throw ValidationError("--prefetch must be 0 to \(WorkerClient.Options.maxPrefetch), got \(prefetch).")
        }
        if !(heartbeat > 0 && heartbeat <= 3600) { throw ValidationError("--heartbeat must be a number of seconds in (0, 3600], got \(heartbeat).") }
        if liveness < 1 { throw ValidationError("--liveness must be at least 1, got \(liveness).") }
        if !(giveUpAfter >= 0 && giveUpAfter.isFinite) { throw ValidationError("--give-up-after must be zero or a positive number of seconds, got \(giveUpAfter).") }
        if let name, name.isEmpty { throw ValidationError("--name must not be empty.") }
        if (key == nil) != (coordinatorKey == nil) {
            throw ValidationError("--key and --coordinator-key go together: give both (CurveZMQ) or neither (plain TCP).")
        }
        try applyKernelChoice()
    }

    func run() throws {
        // Local workers of `hypergrid run` die with it, even when it is SIGKILLed.
        ParentTie.tieToParentIfRequested()
        var curve: WorkerClient.WorkerCurve?
        if let key, let coordinatorKey {
            let pair = try CurveKeyFile.readSecret(key)
            if let warning = CurveKeyFile.exposureWarning(secretKeyFile: key) { printError("warning: \(warning)") }
            curve = WorkerClient.WorkerCurve(publicKey: pair.publicKey, secretKey: pair.secretKey,
                                             coordinatorKey: try CurveKeyFile.read(coordinatorKey))
        }
        LoggingSystem.bootstrap { _ in PlainLogHandler(label: "worker") }

        let policy = WorkerSessionPolicy(heartbeatInterval: heartbeat, liveness: liveness,
                                         giveUpAfter: giveUpAfter > 0 ? giveUpAfter : nil)
        var options = WorkerClient.Options(endpoint: connect, threads: threads, policy: policy)
        if let name { options.name = name }
        if let cacheDir { options.cacheDirectory = URL(fileURLWithPath: cacheDir, isDirectory: true) }
        options.curve = curve
        options.wedgeTrainingAfter = wedgeTrainingAfter
        options.failEveryTrial = failEveryTrial
        options.prefetch = prefetch
        let client = WorkerClient(options: options)
        let watcher = SignalWatcher { signal in
            // The first signal leaves politely; a second one means "now".
            if client.isStopRequested { _exit(128 + signal) }
            client.requestStop()
        }
        defer { withExtendedLifetime(watcher) {} }
        do {
            _ = try client.run()
        } catch let error as WorkerError {
            printError(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}
