import ArgumentParser
import Foundation
import HypergridCoordinator
import HypergridData
import HypergridPreprocessing
import HypergridReport
import HypergridResults
import HypergridSearchSpace
import HypergridTraining
import Logging

/// Options shared by `coordinator` and `run`: the grid, the run directory, pacing.
struct GridOptions: ParsableArguments {
    @Option(help: "The grid file (YAML); see examples/.")
    var grid: String
    @Option(name: .customLong("run-dir"), help: "Holds journal.jsonl and leaderboard.csv (default: runs/<grid name>).")
    var runDir: String?
    @Option(help: "Seconds between heartbeats.")
    var heartbeat: Double = 1
    @Option(help: "Heartbeats a worker may miss before its trial is requeued.")
    var liveness: Int = 4
    @Option(name: .customLong("max-attempts"), help: "Attempts per trial before it is recorded as failed.")
    var maxAttempts: Int = 3
    @Flag(name: .customLong("keep-alive"), help: "Keep workers connected when the grid is done.")
    var keepAlive = false
    @Option(name: .customLong("cache-dir"), help: "Where preprocessed data is cached (default ~/.cache/hypergrid).")
    var cacheDir: String?
    @Option(help: "Leaderboard rows to print at the end.")
    var top: Int = 10
    @Option(name: .customLong("trial-timeout"), help: "Seconds a trial may run on one worker before it is requeued (default: the grid's search.trial_timeout, else none).")
    var trialTimeout: Double?
    @Option(name: .customLong("quarantine-after"), help: "Failed trials in a row after which a worker gets no more work in this run (0: never).")
    var quarantineAfter: Int = 3
    @Option(name: .customLong("max-trials"), help: "Refuse a grid that plans more trials than this (points kept × repeats).")
    var maxTrials: Int = GridSpec.defaultMaxTrials
    @Flag(help: "Print every leaderboard column at the end, not only those that vary in the grid.")
    var wide = false
    @Flag(help: "Keep RUN_DIR/report.html (and its SVG charts) current while the run is in progress; see `hypergrid report`.")
    var report = false

    func validate() throws {
        guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds, got \(heartbeat).") }
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1, got \(liveness).") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1, got \(maxAttempts).") }
        if let trialTimeout, !(trialTimeout > 0 && trialTimeout.isFinite) {
            throw ValidationError("--trial-timeout must be a positive number of seconds, got \(trialTimeout).")
        }
        guard quarantineAfter >= 0 else { throw ValidationError("--quarantine-after must be zero or positive, got \(quarantineAfter).") }
        guard maxTrials >= 1 else { throw ValidationError("--max-trials must be at least 1, got \(maxTrials).") }
        guard top >= 0 else { throw ValidationError("--top must be zero or positive, got \(top).") }
    }

    var runDirectory: String {
        runDir ?? "runs/" + URL(fileURLWithPath: grid).deletingPathExtension().lastPathComponent
    }

    /// The scheduler's knobs; `spec`'s `search.trial_timeout` applies unless `--trial-timeout` is given.
    func policy(for spec: GridSpec) -> SchedulerPolicy {
        SchedulerPolicy(heartbeatInterval: heartbeat, liveness: liveness, maxAttempts: maxAttempts, keepAlive: keepAlive,
                        quarantineAfter: quarantineAfter, trialTimeout: trialTimeout ?? spec.search.trialTimeout,
                        verifyFraction: spec.search.verify, verifySeed: spec.search.seed)
    }

    /// Parses the grid, prepares its dataset (once, into the shared cache) and plans
    /// the trials. Relative dataset paths are resolved against the current directory
    /// so that workers elsewhere get an absolute path.
    func prepare(logger: Logger) throws -> (GridSpec, DatasetOffer, [PlannedTrial]) {
        var spec = try GridFileParser.parse(contentsOf: grid)
        try spec.checkSize(limit: maxTrials, file: grid)
        let absolute = { (path: String) -> String in
            let expanded = (path as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: expanded).standardizedFileURL.path
        }
        spec.dataset.path = spec.dataset.path.map(absolute)
        spec.dataset.file?.mapPaths(absolute)
        logger.info("preparing \(spec.dataset.kind.rawValue) (standardize \(spec.dataset.standardize), PCA \(spec.dataset.pcaVariance.map { "\($0)" } ?? "none"))")
        let prepared = try prepareDataset(DatasetRequest(spec: spec.dataset),
                                          cacheDirectory: cacheDir.map { URL(fileURLWithPath: $0) },
                                          log: { logger.info("\($0)") })
        let s = prepared.splits
        let shape = DatasetShape(features: s.featureCount, classes: s.classCount, trainRows: s.train.rows,
                                 validationRows: s.validation.rows)
        if let summary = prepared.summary { logger.info("dataset \(summary)") }
        logger.info("dataset \(prepared.fingerprint.prefix(12)): train \(s.train.rows), validation \(s.validation.rows), test \(s.test.rows) rows of \(s.featureCount) features (\(prepared.cacheStatus))")
        // The dataset line of the leaderboard and the report, and each split's rows.
        let rows = s.splitRows.map { RunDataset.Rows(unit: $0.unit.rawValue, train: $0.train, validation: $0.validation, test: $0.test) }
        let record = RunDataset(name: s.name, fingerprint: prepared.fingerprint, trainRows: s.train.rows,
                                validationRows: s.validation.rows, testRows: s.test.rows, features: s.featureCount,
                                summary: prepared.summary, splitRows: rows)
        do {
            try record.write(toRunDirectory: runDirectory)
        } catch {
            logger.warning("cannot write \(runDirectory)/\(RunDataset.fileName): \(error); the leaderboard will have no dataset line")
        }
        let offer = DatasetOffer(spec: spec.dataset, fingerprint: prepared.fingerprint, shape: shape,
                                 cacheFile: prepared.cacheFile?.path)
        let plan = spec.plan(datasetFingerprint: prepared.fingerprint, shape: shape)
        if case .halving(let rungs) = spec.search.kind, let note = rungs.augmentationNote(for: plan.map(\.config)) {
            logger.info("\(note)")
        }
        return (spec, offer, plan)
    }
}

extension GridOptions {
    /// With `--report`: a refresher that rewrites the run's report after results arrive
    /// (rate-limited, on its own thread), already listening to the server. `nil` without.
    func startReport(for server: CoordinatorServer, logger: Logger) -> ReportRefresher? {
        guard report else { return nil }
        let refresher = ReportRefresher(runDirectory: runDirectory, log: { logger.warning("\($0)") })
        server.onResultsCommitted = { refresher.resultsArrived() }
        refresher.start()
        return refresher
    }
}

/// Prints how a run ended and the top of its leaderboard, writes the final report when
/// one is kept; throws a non-zero exit when it halted.
func finish(_ server: CoordinatorServer, _ summary: RunSummary, options: GridOptions, stopped: Bool,
            report: ReportRefresher?) throws {
    // The workers' `shutdown` messages leave before anything else (and before an exit).
    server.closeSockets()
    let page = report?.finish()
    print("")
    print("run \(stopped ? "stopped" : (summary.haltReason == nil ? "complete" : "halted")): \(summary.done) done, \(summary.diverged) diverged, \(summary.failed) failed, \(summary.skipped) already in the journal, \(summary.unfinished) unfinished, \(String(format: "%.1f", summary.elapsedSeconds)) s")
    for worker in summary.quarantined { print("quarantined worker \(worker.name): \(worker.reason)") }
    if let line = summary.verification { print(line) }
    if options.top > 0 {
        if let dataset = RunDataset.read(runDirectory: options.runDirectory) { print(dataset.line) }
        print(server.leaderboardTable(top: options.top, wide: options.wide))
    }
    for line in server.searchReport { print(line) }
    print("leaderboard: \(options.runDirectory)/leaderboard.csv")
    if let page { print("report: \(page)") }
    if let reason = summary.haltReason { throw CoordinatorError("run halted: \(reason)") }
    if stopped { throw ExitCode(130) }
}
