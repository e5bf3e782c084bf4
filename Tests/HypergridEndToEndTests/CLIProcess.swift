import Foundation
import HypergridTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `hypergrid` executable built next to this test bundle.
struct CLIProcess {
    /// `.build/<configuration>/hypergrid`, built by `swift build` (scripts/test does).
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // swift-testing on Linux runs `<dir>/hypergridPackageTests.xctest`; on macOS the
        // bundle sits one level deeper.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("hypergrid")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "/nonexistent/hypergrid (run swift build first)")
    }

    let process = Process()
    let output: URL

    /// Starts `hypergrid arguments…` with its stdout and stderr going to a log file.
    init(_ arguments: [String], log: URL, environment: [String: String] = [:], currentDirectory: URL? = nil) throws {
        try self.init(executable: Self.executable, arguments, log: log, environment: environment,
                      currentDirectory: currentDirectory)
    }

    /// Starts `hypergrid arguments…` inside the network namespace `namespace`, through
    /// `ip netns exec`, which enters it and then execs hypergrid: the pid is hypergrid's.
    init(_ arguments: [String], log: URL, namespace: String, ip: URL) throws {
        try self.init(executable: ip, ["netns", "exec", namespace, Self.executable.path] + arguments, log: log)
    }

    /// Starts any executable with its stdout and stderr going to a log file.
    init(executable: URL, _ arguments: [String], log: URL, environment: [String: String] = [:],
         currentDirectory: URL? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        output = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits up to `timeout` seconds; SIGKILLs and returns nil when it is still running.
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Runs to completion and returns (exit status, combined output).
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 120,
                    environment: [String: String] = [:]) throws -> (Int32?, String) {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).log")
        let p = try CLIProcess(arguments, log: log, environment: environment)
        let status = p.wait(timeout: timeout)
        return (status, p.log)
    }
}

/// Polls `condition` every 20 ms for up to `timeout` seconds.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// A fresh temporary directory for one test (HypergridTestSupport's, as a URL). It keeps
/// `throws` so that the many `try temporaryDirectory(…)` calls, on other branches too, stay
/// warning-free.
func temporaryDirectory(_ name: String) throws -> URL { TemporaryDirectory("e2e-" + name).url }
