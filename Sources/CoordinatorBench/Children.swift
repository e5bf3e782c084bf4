#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Another copy of this executable, started with `arguments`, whose stdout is read line
/// by line (its stderr is ours).
final class Child {
    let process = Process()
    private let output = Pipe()
    private var buffer: [UInt8] = []
    private var ended = false

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    /// This executable's path (argv[0] may be relative or found through PATH).
    static let executable: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    }()

    /// The next line of the child's stdout, without its newline; nil at the end.
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { ended = true } else { buffer += chunk }
        }
    }

    /// The rest of stdout, then the exit status once the child is gone.
    func finish() -> (lines: [String], status: Int32) {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        process.waitUntilExit()
        return (lines, process.terminationStatus)
    }
}

/// CPU seconds (user, system) and peak resident set of this process or its reaped children.
struct Usage {
    var user: Double
    var system: Double
    /// Kilobytes (Linux's `ru_maxrss` unit).
    var maxRSS: Int

    static func of(_ who: __rusage_who) -> Usage {
        var r = rusage()
        getrusage(__rusage_who_t(who.rawValue), &r)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return Usage(user: seconds(r.ru_utime), system: seconds(r.ru_stime), maxRSS: r.ru_maxrss)
    }

    static var current: Usage { of(RUSAGE_SELF) }
    static var children: Usage { of(RUSAGE_CHILDREN) }

    var cpu: Double { user + system }
}

/// `uptime`'s load averages, from /proc/loadavg.
func loadAverages() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// The median time to append a 300-byte line to a file in `directory` and fsync it, in
/// seconds: the floor under a journal commit on that file system at that moment. The
/// disk is shared, so this varies from minute to minute, and with it the trials per
/// second of configurations with few workers (at most `workers / latency`).
func fsyncLatency(in directory: String, samples: Int = 100) -> Double {
    let path = (directory as NSString).appendingPathComponent("fsync-probe")
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return .nan }
    defer { close(fd); unlink(path) }
    let line = [UInt8](repeating: UInt8(ascii: "x"), count: 299) + [0x0A]
    var times: [Double] = []
    for _ in 0..<samples {
        let start = now()
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        times.append(now() - start)
    }
    return times.sorted()[samples / 2]
}
