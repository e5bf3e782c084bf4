import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HypergridKernel
import HypergridPreprocessing
import HypergridSearchSpace

/// What `hypergrid train` prints: a summary for people, or one JSON object.
struct TrainReport: Encodable {
    var status: String
    var valAccuracy: Double?
    var trainAccuracy: Double?
    var testAccuracy: Double?
    /// Regression only: RMSE, MAE and R² in the targets' units.
    var trainRegression: RegressionMetrics?
    var valRegression: RegressionMetrics?
    var testRegression: RegressionMetrics?
    var finalLoss: Double?
    var samplesPerSecond: Double
    var wallSeconds: Double
    var iterations: Int
    var reason: String?
    var peakRSSBytes: Int
    /// The GEMM kernels that ran (`avx512` or `avx2`, see ``GEMMKernelPath``).
    var kernel: String
    /// The id this trial has in a grid run on the same data (config, data, numerics).
    var trialID: String
    var config: TrialConfig
    var dataset: DatasetInfo
    var history: TrialHistory

    struct DatasetInfo: Encodable {
        var name: String
        var fingerprint: String
        var features: Int
        var pcaComponents: Int?
        var trainRows: Int
        var validationRows: Int
        var testRows: Int
        var cache: String
    }

    init(config: TrialConfig, prepared: PreparedDataset, outcome: TrialOutcome, peakRSSBytes: Int) {
        let m = outcome.metrics
        status = m.status.rawValue
        valAccuracy = m.validationAccuracy
        trainAccuracy = m.trainAccuracy
        testAccuracy = m.testAccuracy
        trainRegression = m.trainRegression
        valRegression = m.validationRegression
        testRegression = m.testRegression
        finalLoss = m.finalLoss
        samplesPerSecond = m.samplesPerSecond
        wallSeconds = m.wallSeconds
        iterations = m.iterations
        reason = m.reason
        self.peakRSSBytes = peakRSSBytes
        kernel = GEMMKernelPath.active.rawValue
        trialID = TrialID(config: config, datasetFingerprint: prepared.fingerprint).hex
        self.config = config
        let s = prepared.splits
        dataset = DatasetInfo(name: s.name, fingerprint: prepared.fingerprint, features: s.featureCount,
                              pcaComponents: prepared.pcaComponents, trainRows: s.train.rows,
                              validationRows: s.validation.rows, testRows: s.test.rows,
                              cache: prepared.cacheStatus.description)
        history = outcome.history
    }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// `RMSE 59.3, MAE 47.1, R² 0.412` or `-`.
    private func regression(_ m: RegressionMetrics?) -> String {
        m.map { String(format: "RMSE %.4g, MAE %.4g, R² %.3f", $0.rmse, $0.mae, $0.r2) } ?? "-"
    }

    var summary: String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", $0 * 100) } ?? "-" }
        var lines = [
            "config: \(config.summary)",
            "status \(status)\(reason.map { " (\($0))" } ?? "") after \(iterations) iterations",
            valRegression == nil && trainRegression == nil
                ? "accuracy: train \(pct(trainAccuracy)), validation \(pct(valAccuracy)), test \(pct(testAccuracy))"
                : [("train", trainRegression), ("validation", valRegression), ("test", testRegression)]
                    .map { "\($0.0) \(regression($0.1))" }.joined(separator: "; "),
            String(format: "final loss %@, %.0f samples/s (%@ kernels), %.2f s wall, peak RSS %.0f MB",
                   finalLoss.map { String(format: "%.4f", $0) } ?? "-", samplesPerSecond, kernel, wallSeconds,
                   Double(peakRSSBytes) / 1_048_576),
        ]
        if status == "diverged" { lines.append("the loss diverged: try a smaller --lr") }
        if let earlyStopLine { lines.insert(earlyStopLine, at: 2) }
        return lines.joined(separator: "\n")
    }

    /// What early stopping did, replayed from the validation curve (the rule is a pure function
    /// of it, so the replay is what the trainer decided); nil when it was off, the trial did not
    /// finish, or there were no validation rows to watch.
    var earlyStopLine: String? {
        guard status == "done", let rule = config.earlyStopping(lowerIsBetter: valRegression != nil) else { return nil }
        let curve = history.validationRMSE ?? history.validationAccuracy
        guard !curve.isEmpty else { return nil }
        var replay = rule
        for (i, value) in curve.enumerated() { _ = replay.observe(value, epoch: i + 1) }
        let perEpoch = max(dataset.trainRows / config.batchSize, 1)
        let total = config.length.iterationCount(trainRows: dataset.trainRows, batchSize: config.batchSize)
        if iterations < total {
            return "early stop: no improvement for \(rule.patience) epochs, stopped after epoch \(curve.count) of \((total + perEpoch - 1) / perEpoch); the figures are epoch \(replay.bestEpoch)'s weights"
        }
        return total % perEpoch == 0
            ? "early stop: trained all \(curve.count) epochs; the figures are epoch \(replay.bestEpoch)'s weights"
            : "early stop: trained the whole length; the figures are those of the best of its epochs and its last partial one"
    }
}

/// Process resource usage.
enum ResourceUsage {
    /// Peak resident set size of this process so far, in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024   // Linux reports kilobytes
    }
}
