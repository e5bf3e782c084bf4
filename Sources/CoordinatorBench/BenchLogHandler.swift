#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The coordinator's log lines as the `hypergrid` executable writes them
/// (`12:04:05 coordinator: …`, one `write(2)` per line), to a file descriptor.
///
/// A copy of the executable's handler rather than an import of it, because that one
/// lives in HypergridWorker, which links the kernel; the point is that the benchmark
/// pays what a real coordinator pays per log line.
struct BenchLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let fd: Int32

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = Self.clock() + " coordinator: "
        if event.level >= .warning { text += "\(event.level): " }
        text += event.message.description
        if let error = event.error { text += " (\(error))" }
        text += "\n"
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func clock() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
