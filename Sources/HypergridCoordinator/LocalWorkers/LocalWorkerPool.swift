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
    private var logFiles: [String?] = []
    private var reported = Set<Int>()
    /// Readers copying each worker's output to its log file and standard error (`echo`).
    private var echoes: [FileHandle] = []
    private let lock = NSLock()

    public init() {}

    /// Process ids of the workers started so far that are still running.
    public var runningPIDs: [Int32] {
        lock.lock(); defer { lock.unlock() }
        return processes.filter(\.isRunning).map(\.processIdentifier)
    }

    /// Whether at least one worker was started and every one of them has exited.
    public var allExited: Bool {
        lock.lock(); defer { lock.unlock() }
        return !processes.isEmpty && !processes.contains(where: \.isRunning)
    }

    /// Starts `count` processes of `executable arguments…`.
    ///
    /// With `logDirectory`, worker *i*'s standard output and error are appended to
    /// `logDirectory/worker-i.log` (created if needed), and also copied to this process's
    /// standard error when `echo` is set. Without it, they go straight to this process's
    /// standard error, interleaved with its own lines.
    public func start(count: Int, executable: URL, arguments: [String],
                      logDirectory: String? = nil, echo: Bool = false) throws {
        var environment = ProcessInfo.processInfo.environment
        environment[Self.parentPIDVariable] = String(getpid())
        if let logDirectory {
            do {
                try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            } catch {
                throw CoordinatorError("cannot create the workers' log directory \(logDirectory): \(Self.reason(error)).")
            }
        }
        for index in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments + ["--name", "\(ProcessInfo.processInfo.hostName):local-\(index)"]
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            let logFile = logDirectory.map { "\($0)/\(Self.logFileName(index))" }
            if let logFile {
                let log = try Self.openForAppending(logFile)
                if echo {
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    let reader = pipe.fileHandleForReading
                    // Each chunk is written whole to both, so a line a worker wrote in one
                    // write reaches the terminal in one piece, as it did without the copy.
                    reader.readabilityHandler = { handle in
                        let data = handle.availableData
                        guard !data.isEmpty else { handle.readabilityHandler = nil; return }
                        log.write(data)
                        FileHandle.standardError.write(data)
                    }
                    lock.lock(); echoes.append(reader); lock.unlock()
                } else {
                    process.standardOutput = log
                    process.standardError = log
                }
            } else {
                process.standardOutput = FileHandle.standardError
                process.standardError = FileHandle.standardError
            }
            try process.run()
            lock.lock(); processes.append(process); logFiles.append(logFile); lock.unlock()
        }
    }

    /// `worker-3.log`: the log file of local worker 3 (named `<host>:local-3`).
    public static func logFileName(_ index: Int) -> String { "worker-\(index).log" }

    /// The workers that exited since the last call (each reported once), in start order.
    /// `hypergrid run` polls it to say so when a worker dies, since its log is in a file.
    public func newlyExited() -> [LocalWorkerExit] {
        lock.lock(); defer { lock.unlock() }
        var exits: [LocalWorkerExit] = []
        for (index, process) in processes.enumerated() where !process.isRunning && !reported.contains(index) {
            reported.insert(index)
            exits.append(LocalWorkerExit(index: index, status: process.terminationStatus,
                                         signalled: process.terminationReason == .uncaughtSignal,
                                         logFile: logFiles[index],
                                         lastLine: logFiles[index].flatMap(Self.lastLine(of:))))
        }
        return exits
    }

    /// The last non-empty line of a log file (read from its last 4 KiB), if any.
    static func lastLine(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        guard let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init)
    }

    private static func openForAppending(_ path: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CoordinatorError("cannot open the worker log \(path) for appending: \(String(cString: strerror(errno))) (errno \(errno)).")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    private static func reason(_ error: Error) -> String {
        ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
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
        // The workers are gone, so their pipes are at end of file: stop watching them.
        let readers: [FileHandle] = { lock.lock(); defer { lock.unlock() }; return echoes }()
        for reader in readers { reader.readabilityHandler = nil }
    }
}

/// A local worker process that has exited, as ``LocalWorkerPool/newlyExited()`` reports it.
public struct LocalWorkerExit: Equatable, Sendable, CustomStringConvertible {
    /// Its index: the worker is named `<host>:local-<index>`.
    public let index: Int
    /// Its exit status, or the signal that ended it when `signalled`.
    public let status: Int32
    public let signalled: Bool
    /// Where its output went, when it went to a file.
    public let logFile: String?
    /// The last line of that file: usually why it stopped.
    public let lastLine: String?

    /// `local worker 1 exited with status 3: <last line> (log: RUN/logs/worker-1.log)`.
    public var description: String {
        var text = "local worker \(index) " + (signalled ? "was killed by signal \(status)" : "exited with status \(status)")
        if let lastLine { text += ": \(lastLine)" }
        if let logFile { text += " (log: \(logFile))" }
        return text
    }
}
