import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops worker processes on this machine for `hypergrid run`.
///
/// The workers are real, separate processes running the same executable with the
/// `worker` subcommand and talking to the coordinator over ZeroMQ, exactly as
/// workers on other machines do. Each child gets `HYPERGRID_PARENT_PID` so it can
/// ask the kernel to signal it when this process dies (`PR_SET_PDEATHSIG`): even a
/// SIGKILLed `hypergrid run` leaves no orphaned worker behind.
public final class LocalWorkerPool {
    /// The environment variable a worker reads to tie its life to its parent's.
    public static let parentPIDVariable = "HYPERGRID_PARENT_PID"  // read by HypergridWorker.ParentTie

    private var processes: [Process] = []
    private let lock = NSLock()

    public init() {}

    /// Process ids of the workers started so far that are still running.
    public var runningPIDs: [Int32] {
        lock.lock(); defer { lock.unlock() }
        return processes.filter(\.isRunning).map(\.processIdentifier)
    }

    /// Starts `count` processes of `executable arguments…`, their output going to
    /// this process's standard error (so progress lines and their logs interleave).
    public func start(count: Int, executable: URL, arguments: [String]) throws {
        var environment = ProcessInfo.processInfo.environment
        environment[Self.parentPIDVariable] = String(getpid())
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments + ["--name", "\(ProcessInfo.processInfo.hostName):local-\(index)"]
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.standardError
            process.standardError = FileHandle.standardError
            try process.run()
            lock.lock(); processes.append(process); lock.unlock()
        }
    }

    /// Asks every worker to stop (SIGTERM: finish or abandon the trial, say goodbye),
    /// waits up to `grace` seconds, then SIGKILLs whatever is left and reaps it.
    public func stop(grace: TimeInterval = 5) {
        let all: [Process] = { lock.lock(); defer { lock.unlock() }; return processes }()
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, all.contains(where: \.isRunning) { usleep(20_000) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in all { p.waitUntilExit() }
    }

}
