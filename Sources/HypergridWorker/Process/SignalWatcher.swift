import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT and SIGTERM into a callback on a Dispatch queue, instead of the default
/// action of dying mid-trial without a `goodbye`.
///
/// The signals are ignored at the process level (`SIG_IGN`), which is what lets a
/// `DispatchSourceSignal` see them; the callback runs on a background queue, not in a
/// signal handler, so it may take locks.
public final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []

    /// Starts watching `signals`; `handler` gets the signal number, once per delivery.
    /// Watching stops when the watcher is deallocated (the signals stay ignored).
    public init(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "hypergrid.signals")
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
