import Foundation

/// Keeps a run's report current while the run is in progress: after results arrive it
/// rereads the journal and rewrites the report, at most once every ``minimumInterval``
/// seconds (or twenty times as long as a rewrite took, when that is longer).
///
/// It renders on a thread of its own, so the coordinator's socket loop never waits for
/// it: ``resultsArrived()`` only sets a flag. Reading the journal is safe while the
/// coordinator appends to it, and each file is replaced atomically.
public final class ReportRefresher: @unchecked Sendable {
    public let runDirectory: String
    public let outputDirectory: String
    public let options: ReportOptions
    public let minimumInterval: Double
    private let log: @Sendable (String) -> Void

    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    private var started = false
    private let stopped = DispatchSemaphore(value: 0)
    /// The last refresh error logged, so that a persistent one is logged once.
    private var lastError: String?
    private var refreshes = 0

    /// Rewrites made while the run was in progress.
    public var refreshCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return refreshes
    }

    /// - Parameters:
    ///   - outputDirectory: where the report goes (default: the run directory).
    ///   - log: receives one line when a refresh fails (and again only when the reason changes).
    public init(runDirectory: String, outputDirectory: String? = nil, options: ReportOptions = ReportOptions(),
                minimumInterval: Double = 2, log: @escaping @Sendable (String) -> Void) {
        self.runDirectory = runDirectory
        self.outputDirectory = outputDirectory ?? runDirectory
        var options = options
        options.inProgress = true
        self.options = options
        self.minimumInterval = minimumInterval
        self.log = log
    }

    /// Starts the rendering thread.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in loop() }
        thread.name = "hypergrid-report"
        thread.start()
    }

    /// Notes that the journal has new results; cheap, and safe from any thread.
    public func resultsArrived() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread (after a rewrite in progress) and writes the final report, which no
    /// longer reloads itself. Returns the page's path, or `nil` (logged) when it could not
    /// be written, e.g. because no trial finished.
    @discardableResult
    public func finish() -> String? {
        condition.lock()
        let wasStarted = started
        stopping = true
        condition.signal()
        condition.unlock()
        if wasStarted { stopped.wait() }
        var final = options
        final.inProgress = false
        do {
            return try Report.make(runDirectory: runDirectory, outputDirectory: outputDirectory, options: final)
        } catch {
            log("no report written: \(error)")
            return nil
        }
    }

    private func loop() {
        var nextAllowed = Date.distantPast
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            // Rate limit: wait out the interval, unless asked to stop meanwhile.
            while !stopping && Date() < nextAllowed { _ = condition.wait(until: nextAllowed) }
            if stopping {
                condition.unlock()
                stopped.signal()
                return
            }
            pending = false
            condition.unlock()

            let start = Date()
            refresh()
            let took = Date().timeIntervalSince(start)
            nextAllowed = Date().addingTimeInterval(max(minimumInterval, 20 * took))
        }
    }

    private func refresh() {
        do {
            try Report.make(runDirectory: runDirectory, outputDirectory: outputDirectory, options: options)
            condition.lock()
            refreshes += 1
            lastError = nil
            condition.unlock()
        } catch {
            let message = "\(error)"
            condition.lock()
            let isNew = message != lastError
            lastError = message
            condition.unlock()
            if isNew { log("cannot refresh the report: \(message)") }
        }
    }
}
