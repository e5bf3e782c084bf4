import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Set once SIGINT or SIGTERM arrives; long-running commands poll it and stop cleanly.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }

    /// Replaces the default handlers of SIGINT and SIGTERM with this flag.
    static func install() -> StopSignal {
        let flag = StopSignal()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.lock.lock(); flag.set = true; flag.lock.unlock() }
            source.resume()
            flag.sources.append(source)
        }
        return flag
    }
}

/// Plain log lines on standard error (swift-log's stream handler), at info level
/// unless HYPERGRID_LOG_LEVEL says otherwise.
func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: "hypergrid.\(label)") { StreamLogHandler.standardError(label: $0) }
    if let text = ProcessInfo.processInfo.environment["HYPERGRID_LOG_LEVEL"], let level = Logger.Level(rawValue: text) {
        logger.logLevel = level
    } else {
        logger.logLevel = .info
    }
    return logger
}
