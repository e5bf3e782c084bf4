import Foundation
import HypergridPreprocessing
import HypergridProtocol
import HypergridSearchSpace
import HypergridTraining
import Logging

/// What the training thread tells the socket thread.
enum RunnerReport: Sendable {
    case progress(TrialProgress)
    /// No local copy of the dataset: the socket thread must fetch it.
    case needDataset(fingerprint: String)
    /// The trial ended and its report is already on disk.
    case finished(TrialReport)
    /// A cancelled trial has let go of the training thread (no report: it was handed back).
    case stopped(TrialID)
}

/// The training thread: obtains each assigned trial's dataset and trains it, so that the
/// socket thread keeps heartbeating however long that takes. One trial at a time.
final class TrialRunner: @unchecked Sendable {
    enum Job {
        case train(Assignment)
        case dataset(fingerprint: String, bytes: [UInt8])
        case datasetFailed(fingerprint: String, reason: String)
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var running: TrialID?
    private var cancelled = false
    private var exiting = false
    /// Iterations the running trial has completed (nil before its first one).
    private var iterationsDone: Int?
    /// Iterations trained by this process, over all its trials (for the wedge hook).
    private var iterationsTrained = 0
    /// Test-only fault hook (see ``WorkerOptions/wedgeTrainingAfter``).
    private let wedgeAfter: Int?
    /// Test-only fault hook (see ``WorkerClient/Options/failEveryTrial``).
    private let failEveryTrial: Bool
    /// Test-only fault switch of verified results (docs/testing.md): with
    /// `HYPERGRID_TEST_PERTURB_WEIGHT=1` in its environment, the worker nudges one weight of
    /// every trained network by one unit in the last place after training, as a faulty CPU
    /// might, so that its result digests differ from every other worker's. No flag exposes it.
    private let perturbWeight = ProcessInfo.processInfo.environment["HYPERGRID_TEST_PERTURB_WEIGHT"] == "1"

    private let store: DatasetStore
    private let results: PendingResultStore
    private let reports: Inbox<RunnerReport>
    private let logger: Logger
    /// Threads per trial; results are bit-identical at any count (see `Trainer.threads`).
    private let threads: Int
    private let exited = DispatchSemaphore(value: 0)

    init(store: DatasetStore, results: PendingResultStore, reports: Inbox<RunnerReport>, logger: Logger,
         threads: Int = 1, wedgeAfter: Int? = nil, failEveryTrial: Bool = false) {
        self.threads = max(threads, 1)
        self.wedgeAfter = wedgeAfter
        self.failEveryTrial = failEveryTrial
        self.store = store
        self.results = results
        self.reports = reports
        self.logger = logger
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in
            loop()
            exited.signal()
        }
        thread.name = "hypergrid-trainer"
        // Foundation's default for secondary threads is small; training code is not
        // recursive, but preparing a dataset goes through LAPACK.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues a job for the thread.
    func submit(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Stops the running trial after its current iteration (or while it waits for data),
    /// without a report: the trial is handed back to the coordinator.
    func cancelCurrent() {
        condition.lock()
        jobs.removeAll { if case .train = $0 { return true } else { return false } }
        if running != nil { cancelled = true }
        condition.signal()
        condition.unlock()
    }

    /// Cancels everything and waits up to `timeout` seconds for the thread to end; false if
    /// it is still busy (e.g. inside a long dataset preparation), which only matters to a
    /// caller that stays alive.
    @discardableResult
    func stop(timeout: Double) -> Bool {
        condition.lock()
        exiting = true
        cancelled = true
        jobs = []
        condition.signal()
        condition.unlock()
        return exited.wait(timeout: .now() + timeout) == .success
    }

    private var isCancelled: Bool {
        condition.lock(); defer { condition.unlock() }
        return cancelled
    }

    /// The running trial and the iterations it has completed, once it has begun training.
    var liveIterations: (TrialID, Int)? {
        condition.lock(); defer { condition.unlock() }
        guard let running, let done = iterationsDone else { return nil }
        return (running, done)
    }

    /// Called by the trainer after each iteration: publishes the count and says whether to
    /// go on. The lock is uncontended but for the socket thread's reads, a few per second.
    private func iterationDone(_ completed: Int) -> Bool {
        condition.lock()
        iterationsDone = completed
        iterationsTrained += 1
        let goOn = !cancelled
        let wedge = wedgeAfter.map { iterationsTrained == $0 + 1 } ?? false
        condition.unlock()
        if wedge {
            // The test-only fault: this thread blocks for good while the socket thread
            // goes on heartbeating, as a trainer stuck in a deadlock or a driver call would.
            logger.warning("test fault hook: the training thread wedges now (after \(wedgeAfter!) iterations)")
            DispatchSemaphore(value: 0).wait()
        }
        return goOn
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !exiting { condition.wait() }
            if exiting { condition.unlock(); return }
            let job = jobs.removeFirst()
            guard case .train(let assignment) = job else {
                condition.unlock()   // data for a trial that was cancelled meanwhile
                continue
            }
            running = assignment.trialID
            cancelled = false
            iterationsDone = nil
            condition.unlock()

            run(assignment)

            condition.lock()
            running = nil
            iterationsDone = nil
            let wasCancelled = cancelled
            condition.unlock()
            if wasCancelled { reports.post(.stopped(assignment.trialID)) }
        }
    }

    private func run(_ assignment: Assignment) {
        let fingerprint = assignment.datasetFingerprint
        // What the network says is checked before it is used: the fingerprint becomes a file
        // name, and the result is filed under the trial id, a content address.
        guard DatasetCache.isPlainName(fingerprint) else {
            return finish(assignment, failedBecause: "the assignment's dataset fingerprint is not a plain name, so it was not used as a file name")
        }
        guard assignment.idMatchesConfiguration() else {
            return finish(assignment, failedBecause: "trial id \(assignment.trialID.short) is not the id of the assigned configuration, dataset and numerics, so it was not trained")
        }
        if failEveryTrial {
            return finish(assignment, failedBecause: "test fault hook: this worker fails every trial")
        }
        var dataset = store.local(for: assignment)
        if dataset == nil {
            reports.post(.needDataset(fingerprint: fingerprint))
            switch waitForDataset(fingerprint) {
            case nil:
                return
            case .failure(let failure):
                return finish(assignment, failedBecause: failure.reason)
            case .success(let bytes):
                do {
                    dataset = try store.install(bytes, fingerprint: fingerprint)
                } catch {
                    return finish(assignment, failedBecause: "the dataset sent by the coordinator is unusable: \(error)")
                }
            }
        }
        guard let data = dataset?.splits, !isCancelled else { return }
        var stoppedByUs = false
        var resume: TrainingCheckpoint?
        if let blob = assignment.checkpoint {
            do {
                resume = try TrainingCheckpoint(decoding: blob)
            } catch {
                // Training from scratch gives the same bits; only the time is lost.
                logger.warning("trial \(assignment.trialID.short) trains from scratch: its checkpoint is unusable (\(error))")
            }
        }
        // Only the final refit measures the test split: searched trials never see it.
        let (trained, trainedState, resumeProblem) = Trainer(threads: threads).trainWithCheckpoints(
            config: assignment.config, data: data, evaluateTest: assignment.config.refit != nil,
            // A digest covers the final weights, which only a checkpoint carries out of the trainer.
            resume: resume, saveCheckpoint: assignment.saveCheckpoint || assignment.saveModel || assignment.sendDigest,
            afterIteration: { [self] completed in
                let goOn = iterationDone(completed)
                if !goOn { stoppedByUs = true }
                return goOn
            }) { [self] epoch in
            reports.post(.progress(TrialProgress(
                trialID: assignment.trialID, attempt: assignment.attempt, epoch: epoch.epoch,
                iteration: epoch.iteration, loss: epoch.loss.map(Double.init) ?? .nan,
                validationAccuracy: epoch.validationAccuracy)))
            if isCancelled { stoppedByUs = true }
            return !stoppedByUs
        }
        // A trial cut short on request is handed back with `goodbye`, never reported: a
        // "cancelled" failure would be recorded as the trial's result.
        guard !stoppedByUs else { return }
        if let resumeProblem {
            logger.warning("trial \(assignment.trialID.short) trained from scratch: its checkpoint does not fit (\(resumeProblem))")
        }
        var checkpoint = trainedState
        if perturbWeight, checkpoint != nil, !checkpoint!.network.isEmpty {
            checkpoint!.network[0] = checkpoint!.network[0].nextUp
            logger.warning("test fault switch HYPERGRID_TEST_PERTURB_WEIGHT: one weight of trial \(assignment.trialID.short) perturbed")
        }
        var outcome = trained
        if assignment.sendDigest {
            outcome.digest = ResultDigest.hex(of: outcome, weights: checkpoint?.network)
        }
        var model: [UInt8]?
        if assignment.saveModel, let checkpoint, let prepared = dataset {
            model = KeptModel.make(trialID: assignment.trialID, config: assignment.config, prepared: prepared,
                                   metrics: outcome.metrics, state: checkpoint)?.encoded()
            if model == nil { logger.warning("trial \(assignment.trialID.short)'s model is not sent: its dataset carries no input pipeline") }
        }
        finish(assignment, outcome, checkpoint: assignment.saveCheckpoint ? checkpoint?.encoded() : nil, model: model)
    }

    private struct DatasetFailure: Error { var reason: String }

    /// Waits for the socket thread to deliver the fetched dataset; nil when cancelled.
    private func waitForDataset(_ fingerprint: String) -> Result<[UInt8], DatasetFailure>? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if cancelled || exiting { return nil }
            for (i, job) in jobs.enumerated() {
                switch job {
                case .dataset(fingerprint, let bytes):
                    jobs.remove(at: i)
                    return .success(bytes)
                case .datasetFailed(fingerprint, let reason):
                    jobs.remove(at: i)
                    return .failure(DatasetFailure(reason: reason))
                default: continue
                }
            }
            condition.wait()
        }
    }

    private func finish(_ assignment: Assignment, failedBecause reason: String) {
        guard !isCancelled else { return }
        finish(assignment, TrialOutcome(metrics: TrialMetrics(status: .failed, reason: reason), history: TrialHistory()))
    }

    /// Makes the result durable, then hands it to the socket thread.
    private func finish(_ assignment: Assignment, _ outcome: TrialOutcome, checkpoint: [UInt8]? = nil,
                        model: [UInt8]? = nil) {
        var report = TrialReport(answering: assignment, outcome: outcome, checkpoint: checkpoint, model: model)
        // Encoded once here and the frame saved as it is (a checkpoint can be tens of MB).
        var frame = try? Message.result(report).encoded()
        if frame == nil, report.model != nil {
            // The model is the first thing to give up: the result and a halving checkpoint matter more.
            logger.warning("trial \(assignment.trialID.short)'s model (\(model!.count) bytes) does not fit in a \(WireFormat.defaultMaxFrameSize)-byte frame; its result is sent without it")
            report.model = nil
            frame = try? Message.result(report).encoded()
        }
        if frame == nil, report.checkpoint != nil {
            // A frame above the limit could never be sent, and the result would be retried
            // forever; without its checkpoint the continuation trains from scratch (same bits).
            logger.warning("trial \(assignment.trialID.short)'s checkpoint (\(checkpoint!.count) bytes) does not fit in a \(WireFormat.defaultMaxFrameSize)-byte frame; its result is sent without it")
            report.checkpoint = nil
            // The model given up above may fit on its own.
            report.model = model
            frame = try? Message.result(report).encoded()
            if frame == nil { report.model = nil } else if model != nil {
                logger.info("trial \(assignment.trialID.short)'s model is sent after all, without the checkpoint")
            }
        }
        do {
            try results.save(report, frame: frame)
        } catch {
            logger.warning("the result of \(assignment.trialID.short) is kept in memory only: \(error)")
        }
        reports.post(.finished(report))
    }
}
