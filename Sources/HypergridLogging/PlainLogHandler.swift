import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that writes plain lines to standard error:
/// `12:04:05 worker: connected to tcp://…`, with the level named for warnings and worse.
///
/// swift-log's stream handler prefixes an ISO timestamp, the level and the label on every
/// line; a worker's lines interleave with the coordinator's progress in one terminal, so
/// short lines read better.
public struct PlainLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    /// Prefix after the time, e.g. `worker`.
    public let label: String
    private let write: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String) {
        self.init(label: label) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// A handler writing each finished line (with its newline) to `write`.
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line (swift-log 1.11's entry point; the older ones forward to it).
    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var text = Self.clock() + " " + label + ": "
        if event.level >= .warning { text += "\(event.level): " }
        text += event.message.description
        if let error = event.error { text += " (\(error))" }
        if !all.isEmpty { text += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        // One write per line, so lines of concurrent threads do not interleave.
        write(text + "\n")
    }

    /// Local wall-clock time, `HH:MM:SS`.
    static func clock() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
