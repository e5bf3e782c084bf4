import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HypergridFiles
import HypergridProtocol
import HypergridResults
import HypergridSearchSpace
import Logging
import ZeroMQ

/// Why a coordinator could not start or had to stop; one sentence for the user.
public struct CoordinatorError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The coordinator's socket loop: it owns the ROUTER socket, the journal and the
/// leaderboard, and drives the pure ``Scheduler`` with what arrives and the time.
///
/// One thread does everything but the journal's appends, so the scheduler and the socket
/// need no locks: poll the socket until the scheduler's next deadline (at most 100 ms),
/// turn frames into events, and perform the scheduler's actions in order.
///
/// Records are group-committed: the records asked for while the previous batch was being
/// made durable are appended with one write and one fsync, on the ``JournalCommitter``'s
/// thread, while this thread goes on receiving results and assigning trials; each record
/// is confirmed to the scheduler, which acknowledges results only once confirmed, after
/// the fsync of its batch has returned.
/// The leaderboard is rewritten at most every ``leaderboardInterval`` seconds while
/// results arrive, and always before ``run(shouldStop:)`` returns.
public final class CoordinatorServer {
    public let options: CoordinatorOptions
    public let offer: DatasetOffer
    let logger: Logger
    let plan: [PlannedTrial]
    let planByID: [TrialID: PlannedTrial]
    /// Where halving trials' checkpoints are kept (see ``CheckpointStore``).
    public let checkpoints: CheckpointStore
    /// The kept models (see ``ModelStore``).
    public let models: ModelStore
    let journal: Journal
    var scheduler: Scheduler
    var leaderboard: Leaderboard
    let context: Context
    let socket: Socket
    /// Admits only the authorized worker keys when CURVE is on; alive as long as the socket.
    let authenticator: ZAPAuthenticator?
    let clockStart = ContinuousClock.now
    /// The IP address each TCP peer's messages came from, for log lines about what it sent.
    var peerAddresses: [WorkerID: String] = [:]
    /// Signs assignments and checks that results answer one.
    let tokens: AssignmentTokens
    var summary: RunSummary?
    let status: StatusDisplay
    /// Records the scheduler asked for that are not yet in the journal (nor on their way).
    var uncommitted: [JournalRecord] = []
    /// The files of those records' results, written just before the records (``ResultFiles``).
    var uncommittedFiles: [ResultFiles] = []
    /// Writes results' checkpoints and models, on the committer's thread.
    let resultFiles: ResultFileWriter
    /// Holds back repeated warnings about what peers send (a log flood is a disk-filling attack).
    var warnings = WarningThrottle()
    /// Appends batches of records on a thread of its own (see ``run(shouldStop:)``).
    let committer: JournalCommitter
    /// Whether ``closeSockets()`` ran.
    private var socketsClosed = false
    /// Records on the board that `leaderboard.csv` does not show yet.
    var leaderboardIsStale = false
    /// When the leaderboard may be rewritten next, on the ``now`` clock.
    var nextLeaderboardWrite = Instant(seconds: 0)
    /// The least time between two leaderboard rewrites while results arrive. Each rewrite
    /// renders every row and costs two fsyncs, so rewriting per result made a run's cost
    /// quadratic in its size; a person watching the file cannot tell half a second apart.
    public static let leaderboardInterval = 0.5
    /// The endpoint actually bound (with the port resolved when `*` was asked).
    public let endpoint: String
    /// Called on the coordinator's thread after records about trials were made durable
    /// in the journal (e.g. to refresh a report). It must return quickly: the socket loop
    /// waits for it.
    public var onResultsCommitted: (() -> Void)?

    /// Opens the run directory (replaying its journal), and binds the socket.
    ///
    /// - Parameters:
    ///   - search: the grid, when its search has stages planned from results (halving
    ///     rungs, a final refit); `plan` is then only its first stage, and the stages
    ///     already recorded in the journal are rebuilt from it.
    /// - Throws: ``CoordinatorError`` when the run directory or the journal cannot be
    ///   used, or the address cannot be bound (e.g. the port is in use).
    public init(plan: [PlannedTrial], offer: DatasetOffer, options: CoordinatorOptions, logger: Logger,
                search: GridSpec? = nil) throws {
        self.options = options
        self.offer = offer
        let status = StatusDisplay(enabled: options.liveStatus)
        self.status = status
        self.logger = status.erasingBeforeEachLine(logger)
        self.checkpoints = CheckpointStore(runDirectory: options.runDirectory)
        do {
            // The journal makes the run directory; its errors name the path and the errno
            // ("cannot create directory runs/x: Read-only file system (errno 30)").
            journal = try Journal(directory: options.runDirectory)
        } catch {
            throw CoordinatorError("\(error)")
        }
        do {
            // Under the journal's lock: only this coordinator creates or reads the secret.
            tokens = try AssignmentTokens.load(runDirectory: options.runDirectory)
        } catch {
            journal.close()
            throw CoordinatorError("\(error)")
        }
        let replay = journal.replay
        if let torn = replay.tornTail {
            logger.warning("dropped a torn last line of the journal (\(torn)); its trial will run again")
        }
        leaderboard = Leaderboard(replay: replay)
        models = ModelStore(runDirectory: options.runDirectory, keep: options.keepModels) { id in
            replay.results[id].flatMap { ModelStore.rank(of: $0.metrics, config: $0.config) }
        }
        var stages: SearchStages?
        var plan = plan
        if let search, search.isStaged {
            var recorded: [TrialID: Double?] = [:]
            for (id, r) in replay.results { recorded[id] = .some(r.metrics.status == .failed ? nil : r.metrics.validationScore) }
            for id in replay.failures.keys { recorded[id] = .some(nil) }
            stages = SearchStages(grid: search, fingerprint: offer.fingerprint, shape: offer.shape, recorded: recorded)
            plan = stages!.planned
        }
        self.plan = plan
        self.planByID = Dictionary(plan.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        scheduler = Scheduler(plan: plan, finished: replay.finished, policy: options.policy, start: Instant(seconds: 0),
                              stages: stages, journal: options.policy.verifyFraction > 0 ? replay.entries.map(\.record) : [])
        do {
            context = try Context()
            if let curve = options.curve {
                // Without a ZAP handler libzmq admits every client that knows the server's
                // public key; the handler must be bound before the server socket is.
                authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: curve.authorizedKeys) {
                    [logger] refusal in
                    let who = refusal.clientKey.map { "key \($0)" } ?? "a \(refusal.mechanism) client without a key"
                    logger.warning("refused a worker connection from \(refusal.address): \(who) is not in the authorized keys")
                }
            } else {
                authenticator = nil
            }
            socket = try Socket(context, type: .router)
            if let curve = options.curve {
                try socket.set(.curveServer, true)
                try socket.set(.curveSecretKey, curve.secretKey)
            }
            try socket.set(.routerMandatory, true)
            try socket.set(.linger, 1000)
            try socket.set(.maxMessageSize, WireFormat.defaultMaxFrameSize)
            try socket.set(.sendHighWaterMark, 100_000)
            try socket.set(.receiveHighWaterMark, 100_000)
            try socket.bind(options.bind)
            endpoint = try socket.lastEndpoint
            resultFiles = ResultFileWriter(checkpoints: checkpoints, models: models, logger: self.logger)
            committer = try JournalCommitter(journal: journal, files: resultFiles, context: context)
        } catch let error as ZMQError {
            journal.close()
            throw CoordinatorError("\(error)")
        }
        let skipped = plan.filter { replay.finished.contains($0.id) }.count
        do {
            try journal.append(.runStarted(RunStartedRecord(planDigest: PlanDigest.of(plan), trials: plan.count, skipped: skipped)))
        } catch {
            throw CoordinatorError("\(error)")
        }
    }

    /// Creates `path` (and its parents) if needed and checks that files can be written in
    /// it, so that an unusable run directory is reported before anything slow (preparing
    /// the dataset) starts.
    ///
    /// - Throws: ``CoordinatorError``, e.g. `cannot create the run directory runs/x: Not a directory.`
    public static func makeRunDirectory(_ path: String) throws {
        do {
            try POSIX.makeDirectories(path)
        } catch let error as FileSystemError {
            throw CoordinatorError("cannot create the run directory \(path): \(String(cString: strerror(error.errno))).")
        }
        // mkdir reports EEXIST for a directory on a read-only mount; access(2) sees EROFS.
        guard access(path, W_OK | X_OK) == 0 else {
            throw CoordinatorError("cannot write in the run directory \(path): \(String(cString: strerror(errno))).")
        }
    }

    deinit {
        closeSockets()
        journal.close()
    }

    /// Closes the coordinator's sockets, waiting up to their linger (1 s) for what they still
    /// queue to leave: the `shutdown` messages of the run's end. Call it once
    /// ``run(shouldStop:)`` has returned and before the process exits, which does not wait
    /// for libzmq's I/O thread: a worker whose `shutdown` was still queued would otherwise
    /// never hear that the run ended, and would keep reconnecting. Idempotent.
    public func closeSockets() {
        guard !socketsClosed else { return }
        socketsClosed = true
        committer.stop()
        socket.close()
        authenticator?.stop()
        context.close()   // zmq_ctx_term: returns once the queued messages are sent or the linger ends
    }

    /// Seconds since this coordinator started, on a monotonic clock.
    var now: Instant {
        Instant(seconds: (ContinuousClock.now - clockStart) / .seconds(1))
    }

    /// Serves workers until every trial is finished (or the run halts, or
    /// `shouldStop` returns true), and returns how it ended.
    ///
    /// When it returns, `leaderboard.csv` shows every record in the journal (unless
    /// rewriting it failed, which is logged as an error).
    public func run(shouldStop: () -> Bool = { false }) throws -> RunSummary {
        perform(scheduler.handle(.start, at: now))
        commitJournal()
        writeLeaderboard()
        while summary == nil {
            if shouldStop() {
                commitJournal()   // what is in flight, and the rest, before returning
                status.clear()
                logThrottledSummaries(flush: true)
                if leaderboardIsStale { writeLeaderboard() }
                logger.notice("stopping on request; the journal has every acknowledged result, rerun to resume")
                return scheduler.summary
            }
            let wait = scheduler.nextDeadline.map { max(0, min(0.1, $0 - now)) } ?? 0.1
            let readable: [Int]
            do {
                readable = try Socket.pollReadable([socket, committer.wakeUp],
                                                   timeoutMilliseconds: Int((wait * 1000).rounded(.up)))
            } catch let error as ZMQError where error.kind == .interrupted {
                continue
            }
            if readable.contains(0) { drainSocket() }
            if let completion = committer.takeCompleted() { confirm(completion) }
            perform(scheduler.handle(.tick, at: now))
            logThrottledSummaries()
            startCommit()
            if leaderboardIsStale, now >= nextLeaderboardWrite { writeLeaderboard() }
            status.show(scheduler.status.line)
        }
        commitJournal()   // nothing is normally left; never return with a batch in flight
        logThrottledSummaries(flush: true)
        if leaderboardIsStale { writeLeaderboard() }
        status.clear()
        // The loop ends only once `perform` stored the summary. The shutdown messages to idle
        // workers still queued then are delivered by the socket's linger (set in `init`) as
        // it closes.
        return summary!
    }

    /// Receives everything queued (bounded, so ticks keep their pace under load).
    func drainSocket() {
        for _ in 0..<1000 {
            let frames: [[UInt8]]
            do {
                guard let received = try socket.receiveMessage(timeoutMilliseconds: 0) else { return }
                frames = received.frames
                if let address = received.peerAddress, let id = frames.first, peerAddresses[WorkerID(id)] == nil {
                    peerAddresses[WorkerID(id)] = address
                }
            } catch {
                logger.warning("receive failed: \(error)")
                return
            }
            guard frames.count == 2 else {
                if let id = frames.first {
                    peerWarning(.wrongFrameCount, from: WorkerID(id), "dropped a message of \(frames.count) frames from \(peer(WorkerID(id))); expected 2")
                }
                continue
            }
            handleFrame(from: WorkerID(frames[0]), frames[1])
        }
    }

    /// Performs a batch of scheduler actions in order. Records are only collected here:
    /// ``startCommit()`` or ``commitJournal()`` writes them and feeds the confirmations back.
    func perform(_ actions: [SchedulerAction]) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .assign(let worker, let trial, let attempt):
                var checkpoint: [UInt8]?
                if let parent = trial.resumeFrom {
                    checkpoint = checkpoints.load(parent)
                    if checkpoint == nil {
                        logger.warning("no checkpoint of \(parent.short) in \(checkpoints.directory): trial \(trial.id.short) trains from scratch (same result, more time)")
                    }
                }
                var assignment = Assignment(trialID: trial.id, attempt: UInt32(attempt), config: trial.config,
                                            dataset: offer.spec, datasetFingerprint: offer.fingerprint,
                                            saveCheckpoint: trial.saveCheckpoint, saveModel: models.keep > 0,
                                            checkpoint: checkpoint,
                                            token: tokens.token(for: trial.id, attempt: UInt32(attempt)))
                // Verified results compare digests; without `search.verify` none is asked for.
                assignment.sendDigest = options.policy.verifyFraction > 0
                send(.assign(assignment), to: worker)
                let resumed = checkpoint != nil ? " from \(trial.resumeFrom!.short)'s checkpoint" : ""
                logger.info("trial \(trial.id.short) → \(name(worker)) (attempt \(attempt))\(resumed): \(trial.config.summary)")
            case .ack(let worker, let trialID):
                send(.ack(trialID), to: worker)
            case .sendHeartbeat(let worker):
                send(.heartbeat, to: worker)
            case .refuse(let worker, let reason):
                logger.warning("refused \(name(worker)): \(reason)")
                send(.refuse(reason: reason), to: worker)
            case .shutdown(let worker):
                send(.shutdown, to: worker)
            case .quarantine(let worker, let reason):
                send(.quarantine(reason: reason), to: worker)
            case .abandon(let worker, let trialID):
                send(.abandon(trialID), to: worker)
            case .appendToJournal(let record):
                uncommitted.append(record)
            case .log(let level, let message):
                status.clear()
                logger.log(level: level, "\(message)")
            case .finished(let s):
                summary = s
            }
        }
    }

    /// Hands the uncommitted records to the committer thread as one batch, unless a batch
    /// is in flight (they wait for the next one). The loop confirms it once it completes.
    func startCommit() {
        guard !committer.inFlight, !uncommitted.isEmpty else { return }
        committer.submit(uncommitted, files: uncommittedFiles)
        uncommitted.removeAll(keepingCapacity: true)
        uncommittedFiles.removeAll()
    }

    /// Synchronously: waits for the batch in flight and confirms it, then appends every
    /// uncommitted record with one fsync and confirms each, and repeats while that asks for
    /// more records. When it returns, the journal is idle and every record confirmed.
    func commitJournal() {
        if let completion = committer.waitForCompletion() { confirm(completion) }
        while !uncommitted.isEmpty {
            let batch = uncommitted
            uncommitted.removeAll(keepingCapacity: true)
            resultFiles.write(uncommittedFiles)
            uncommittedFiles.removeAll()
            do {
                try journal.append(contentsOf: batch)
                confirm(JournalCommitter.Completion(batch: batch, error: nil))
            } catch {
                confirm(JournalCommitter.Completion(batch: batch, error: error))
            }
        }
    }

    /// Feeds a completed batch back: confirms each record to the scheduler (whose
    /// acknowledgements go out only now, after the fsync) and performs what follows. A
    /// failed append fails the whole batch: the journal cut it off again, so none of its
    /// results was acknowledged.
    func confirm(_ completion: JournalCommitter.Completion) {
        if let error = completion.error {
            logger.error("cannot write the journal: \(error)")
            for record in completion.batch {
                perform(scheduler.handle(.journalFailed(record.trialID, message: "\(error)"), at: now))
            }
            return
        }
        for record in completion.batch {
            leaderboard.add(record)
            leaderboardIsStale = true
            if let id = record.trialID {
                // The scheduler counts the result as done (and as the best so far) only now:
                // the line reports it after that, and before what it sets off (the next
                // rung's assignments), so its "done" and "best val" include this result.
                let actions = scheduler.handle(.journalAppended(id), at: now)
                report(record)
                perform(actions)
            } else if case .verification(let v) = record {
                perform(scheduler.handle(.verificationAppended(v.trial), at: now))
            }
        }
        // A verification may have replaced a result: the report shows it too.
        let changesResults = completion.batch.contains { record in
            if case .verification = record { return true }
            return record.trialID != nil
        }
        if changesResults { onResultsCommitted?() }
    }

    /// Rewrites `leaderboard.csv` from the board; the next rewrite waits
    /// ``leaderboardInterval``, or twenty times as long as this one took when that is
    /// longer, so that a huge board costs at most about 5% of the coordinator's time.
    func writeLeaderboard() {
        let start = now
        do {
            try leaderboard.write(toDirectory: options.runDirectory)
            leaderboardIsStale = false
        } catch {
            logger.error("cannot rewrite the leaderboard: \(error)")
        }
        let end = now
        nextLeaderboardWrite = end + max(Self.leaderboardInterval, 20 * (end - start))
    }

    /// Logs a warning from outside the socket loop (from `run`'s `shouldStop`) on the
    /// coordinator's logger, which erases the live status line before each line.
    public func warn(_ message: String) {
        logger.warning("\(message)")
    }

    /// The top rows of the leaderboard as an aligned table: the columns that vary in the
    /// grid and the metrics, or every column when `wide`.
    public func leaderboardTable(top: Int, wide: Bool = false) -> String {
        Leaderboard.render(leaderboard.rows, format: .table, top: top, wide: wide)
    }

    func name(_ worker: WorkerID) -> String { scheduler.workerName(worker) }

    func send(_ message: Message, to worker: WorkerID) {
        do {
            let frame = try message.encoded()
            try socket.send(to: worker.bytes, [frame], dontWait: true)
        } catch let error as ZMQError where error.kind == .hostUnreachable {
            // The peer disconnected; the scheduler notices its silence and requeues.
            logger.debug("\(name(worker)) is gone; \(message.type.name) not delivered")
        } catch {
            // A peer that does not read (its queue is full) must not flood the log either.
            peerWarning(.unsendable, from: worker, "cannot send \(message.type.name) to \(name(worker)): \(error)")
        }
    }

    private func report(_ record: JournalRecord) {
        status.clear()
        switch record {
        case .trialResult(let r):
            // formatFixed rather than String(format:), which costs microseconds per call
            // through Foundation's locale machinery: this line is written for every result.
            let val = r.metrics.validationRegression.map { "RMSE " + formatFixed($0.rmse, digits: 4) }
                ?? r.metrics.validationAccuracy.map { formatFixed($0, digits: 4) } ?? "-"
            logger.info("trial \(r.trial.short) \(r.metrics.status.rawValue): val \(val) in \(formatFixed(r.metrics.wallSeconds, digits: 1)) s on \(r.worker) — \(scheduler.status.line)")
        case .trialFailed(let r):
            logger.warning("trial \(r.trial.short) failed after \(r.attempts) attempts: \(r.reason)")
        case .runStarted, .workerQuarantined, .verification:
            break
        }
    }
}
