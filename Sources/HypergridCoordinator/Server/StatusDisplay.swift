import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A one-line status redrawn in place on standard error, when that is a terminal.
/// When it is not (a log file, CI), it stays silent and the coordinator's log lines
/// carry the same information.
final class StatusDisplay: @unchecked Sendable {
    let enabled: Bool
    // The coordinator's thread draws; a log line from another thread (the ZAP handler's
    // refusals) erases, so the two are serialised.
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var visible = false

    init(enabled: Bool) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Redraws `line` at most 5 times a second. The line is only built when drawn: the
    /// coordinator asks after every turn of its loop.
    func show(_ line: @autoclosure () -> String) {
        guard enabled else { return }
        let t = Date().timeIntervalSinceReferenceDate
        lock.lock(); defer { lock.unlock() }
        guard t - lastDraw >= 0.2 else { return }
        lastDraw = t
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line())".utf8))
        visible = true
    }

    /// Erases the status line so that a log line can take its place.
    func clear() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }

    /// `logger`, erasing the status line before each line it writes, so that no log line
    /// lands on the end of the status line (which is redrawn on the loop's next turn).
    func erasingBeforeEachLine(_ logger: Logger) -> Logger {
        guard enabled else { return logger }
        return Logger(label: logger.label) { _ in StatusErasingLogHandler(inner: logger.handler, status: self) }
    }
}

/// A log handler that erases the status line, then hands the line to the handler it wraps.
private struct StatusErasingLogHandler: LogHandler {
    var inner: any LogHandler
    let status: StatusDisplay

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        status.clear()
        inner.log(event: event)
    }
}
