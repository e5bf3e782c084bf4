import Foundation
import HypergridResults
import HypergridSearchSpace

/// A run directory whose journal is written by the coordinator's own ``Journal``, with
/// results of a small generated grid.
struct RunFixture {
    let directory: URL

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hypergrid-report-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var path: String { directory.path }

    func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Appends a run-started record and one result per config, with histories whose
    /// accuracy depends on the config so that the ranking is known.
    func write(_ configs: [TrialConfig], planned: Int? = nil, status: (TrialConfig) -> TrialStatus = { _ in .done },
               epochs: Int = 4) throws {
        let journal = try Journal(directory: path)
        defer { journal.close() }
        try journal.append(.runStarted(RunStartedRecord(planDigest: "fixture", trials: planned ?? configs.count, skipped: 0)))
        for (i, config) in configs.enumerated() {
            let planned = PlannedTrial(id: TrialID(config: config, datasetFingerprint: "fixture"), config: config,
                                       point: i, repetition: 0, cost: 1)
            try journal.append(.trialResult(TrialResultRecord(trial: planned, attempt: 1, worker: "w\(i % 2)",
                                                              outcome: Self.outcome(config, status: status(config), epochs: epochs))))
        }
    }

    /// The validation accuracy a config gets here: best at lr 0.1, reg 1e-3, wider, with BatchNorm.
    static func accuracy(_ c: TrialConfig) -> Double {
        var a = 0.5 - 0.05 * abs(log10(c.learningRate) + 1) - 0.04 * abs(log10(max(c.reg, 1e-6)) + 3)
        a += 0.0001 * Double(c.hidden.reduce(0, +)) + (c.batchNorm ? 0.02 : 0) - 0.01 * Double(c.hidden.count)
        return a
    }

    static func outcome(_ c: TrialConfig, status: TrialStatus, epochs: Int) -> TrialOutcome {
        let final = accuracy(c)
        let iterations = 100 * epochs
        var loss: [Float] = (0..<(iterations / c.lossEvery)).map { i in
            Float(2.3 * exp(-Double(i) / 30) + 1.2 + 0.1 * sin(Double(i)))
        }
        var val = (1...epochs).map { final - 0.1 / Double($0) + 0.1 / Double(epochs) }
        var metrics = TrialMetrics(status: status, trainAccuracy: final + 0.05, validationAccuracy: final,
                                   testAccuracy: final - 0.01, finalLoss: Double(loss.last!), iterations: iterations,
                                   wallSeconds: 1.5, samplesPerSecond: 20_000)
        if status == .diverged {
            loss += [Float.infinity, Float.nan]
            val = [0.1]
            metrics = TrialMetrics(status: .diverged, finalLoss: .nan, iterations: 57, wallSeconds: 0.2,
                                   reason: "loss became NaN at iteration 57")
        }
        return TrialOutcome(metrics: metrics,
                            history: TrialHistory(lossEvery: c.lossEvery, loss: loss, trainAccuracy: val.map { $0 + 0.03 },
                                                  validationAccuracy: val))
    }

    /// The seed's two-layer grid shape: hidden × lr × reg.
    static func seedGrid(hidden: [Int] = [128, 256], lrs: [Double] = [1e-3, 1e-2, 0.1],
                         regs: [Double] = [1e-3, 1e-2, 0.25]) -> [TrialConfig] {
        hidden.flatMap { h in lrs.flatMap { lr in regs.map { reg in
            TrialConfig(hidden: [h], learningRate: lr, reg: reg, length: .iterations(400), lossEvery: 2)
        } } }
    }

    /// The seed's depth study shape: five architectures × BatchNorm, one lr and reg.
    static func depthStudy() -> [TrialConfig] {
        let hidden = [[256], [256, 128], [256, 128, 64], [256, 128, 64, 32], [256, 128, 64, 32, 16]]
        return hidden.flatMap { h in [false, true].map { bn in
            TrialConfig(hidden: h, batchNorm: bn, optimizer: .adam, learningRate: 1e-3, reg: 1e-3,
                        length: .epochs(4), initScheme: .he, lossEvery: 10)
        } }
    }
}
