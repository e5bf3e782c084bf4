import Foundation
import HypergridLogging
import HypergridWorker
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Set once SIGINT or SIGTERM arrives; long-running commands poll it and stop cleanly.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var watcher: SignalWatcher?

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }

    /// Replaces the default handlers of SIGINT and SIGTERM with this flag; a second
    /// signal exits at once.
    static func install() -> StopSignal {
        let flag = StopSignal()
        flag.watcher = SignalWatcher { signal in
            if flag.isSet { _exit(128 + signal) }
            flag.lock.lock(); flag.set = true; flag.lock.unlock()
        }
        return flag
    }
}

/// Plain, short log lines on standard error (`12:04:05 coordinator: …`), the same
/// format the workers use, at info level unless HYPERGRID_LOG_LEVEL says otherwise.
func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: "hypergrid.\(label)") { _ in PlainLogHandler(label: label) }
    if let text = ProcessInfo.processInfo.environment["HYPERGRID_LOG_LEVEL"], let level = Logger.Level(rawValue: text) {
        logger.logLevel = level
    } else {
        logger.logLevel = .info
    }
    return logger
}
