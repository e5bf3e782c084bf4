import HypergridSearchSpace

/// A planned trial whose id depends on `seed`, with the given cost.
public func trial(_ seed: UInt64, cost: Double, point: Int? = nil, repetition: Int = 0,
           hidden: [Int] = [64], learningRate: Double = 1e-3) -> PlannedTrial {
    let config = TrialConfig(hidden: hidden, learningRate: learningRate, seed: seed)
    return PlannedTrial(id: TrialID(config: config, datasetFingerprint: "fixture"), config: config,
                        point: point ?? Int(seed), repetition: repetition, cost: cost)
}

public func outcome(_ validation: Double?, status: TrialStatus = .done, wall: Double = 1,
             train: Double? = nil, test: Double? = nil, loss: Double? = 0.5) -> TrialOutcome {
    TrialOutcome(metrics: TrialMetrics(status: status, trainAccuracy: train, validationAccuracy: validation,
                                       testAccuracy: test, finalLoss: loss, iterations: 10,
                                       wallSeconds: wall, samplesPerSecond: 100),
                 history: TrialHistory(lossEvery: 1, loss: [2.3, 1.1], trainAccuracy: [0.4],
                                       validationAccuracy: validation.map { [$0] } ?? []))
}

