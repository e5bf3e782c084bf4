import HypergridCoordinator
import HypergridProtocol
import HypergridSearchSpace

/// The plans and fake results the benchmark feeds the coordinator.
enum BenchPlan {
    /// The dataset the fake run claims to train on; trial ids hash its fingerprint.
    static let shape = DatasetShape(features: 784, classes: 10, trainRows: 50_000)
    static let fingerprint = "coordinator-bench-0000000000000000000000000000000000000000000000"

    /// A random search of `trials` distinct points over a 48,000-point grid, one repeat
    /// each, planned by the real planner: real content-addressed ids, and costs that differ
    /// so that longest-first dispatch has work to do. One repeat makes every trial its own
    /// leaderboard row, the leaderboard's worst case.
    static func trials(_ trials: Int) -> [PlannedTrial] {
        var axes = ParameterAxes()
        axes.hidden = [[64], [128], [256], [512], [256, 128], [512, 256], [1024], [1024, 512]]
        axes.batchNorm = [false, true]
        axes.optimizer = [.sgd, .momentum, .nesterov, .adam]
        axes.learningRate = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1, 3]
        axes.reg = [0, 1e-5, 1e-4, 1e-3, 1e-2]
        axes.batchSize = [50, 100, 200]
        axes.length = [.iterations(500), .iterations(1000), .iterations(2000), .epochs(1), .epochs(5)]
        precondition(trials <= axes.pointCount, "at most \(axes.pointCount) trials")
        let grid = GridSpec(dataset: DatasetSpec(kind: .synthetic), axes: axes,
                            search: SearchSpec(kind: .random(samples: trials), seed: 7, repeats: 1))
        return grid.plan(datasetFingerprint: fingerprint, shape: shape)
    }

    /// What a no-op worker reports: a small but complete outcome (every metric a searched
    /// trial has, a short loss curve) whose validation accuracy is spread by the trial id, so
    /// that the leaderboard has something to sort. It passes the coordinator's checks of a
    /// result (`ResultCheck`): its counts fit the assignment's configuration, and it has no
    /// test accuracy unless the trial is a final refit, the only trial that measures the test
    /// split. A result that fails them is recorded as failed, and the run does not verify.
    static func outcome(for assignment: Assignment) -> TrialOutcome {
        let config = assignment.config
        let spread = Double(UInt16(assignment.trialID.hex.prefix(4), radix: 16) ?? 0) / 65_536
        let validation = 0.3 + 0.6 * spread
        let iterations = config.length.iterationCount(trainRows: shape.trainRows, batchSize: config.batchSize)
        let lossEvery = max(config.lossEvery, 1)
        let losses: [Float] = Array([2.3, 1.4, 0.9, 0.7].prefix(iterations / lossEvery + 1))
        return TrialOutcome(
            metrics: TrialMetrics(status: .done, trainAccuracy: validation + 0.05, validationAccuracy: validation,
                                  testAccuracy: config.refit == nil ? nil : validation - 0.01, finalLoss: 1 - validation, iterations: iterations,
                                  wallSeconds: 0.001, samplesPerSecond: 2e8),
            history: TrialHistory(lossEvery: lossEvery, loss: losses, trainAccuracy: [validation + 0.05],
                                  validationAccuracy: [validation]))
    }
}
