import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line status redrawn in place on standard error, when that is a terminal.
/// When it is not (a log file, CI), it stays silent and the coordinator's log lines
/// carry the same information.
final class StatusDisplay {
    let enabled: Bool
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
        guard t - lastDraw >= 0.2 else { return }
        lastDraw = t
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line())".utf8))
        visible = true
    }

    /// Erases the status line so that a log line can take its place.
    func clear() {
        guard enabled, visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }
}
