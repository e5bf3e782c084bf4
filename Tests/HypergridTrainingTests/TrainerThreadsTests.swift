import HypergridData
import HypergridKernel
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// `Trainer.threads` changes how fast a trial trains, never what it computes: whole
/// trainings at 1, 2 and 3 threads give the same bits in the loss history, every
/// accuracy and the final loss. The shapes are big enough (D = 160, H = 256, batch 200)
/// that the gather, the GEMMs, the column passes and the update are all split.
@Suite struct TrainerThreadsTests {
    static let data = blobs(classes: 10, features: 160, train: 2_000, validation: 600, test: 300)

    static let configs: [TrialConfig] = [
        TrialConfig(hidden: [256], optimizer: .sgd, learningRate: 0.05, reg: 1e-3, batchSize: 200,
                    length: .epochs(3), initScheme: .he, seed: 21),
        TrialConfig(hidden: [256, 128, 64], batchNorm: true, optimizer: .adam, learningRate: 1e-3,
                    reg: 5e-4, batchSize: 200, length: .epochs(2), initScheme: .he, seed: 22),
        TrialConfig(hidden: [200, 48], optimizer: .nesterov, momentum: 0.9, learningRate: 0.01,
                    batchSize: 150, length: .iterations(25), initScheme: .he, seed: 23, lossEvery: 3),
    ]

    @Test(arguments: 0..<3)
    func threadCountDoesNotChangeResults(configIndex: Int) {
        let config = Self.configs[configIndex]
        let one = Trainer(threads: 1).train(config: config, data: Self.data, evaluateTest: true)
        #expect(one.metrics.status == .done)
        for threads in [2, 3] {
            let many = Trainer(threads: threads).train(config: config, data: Self.data, evaluateTest: true)
            #expect(many.history.loss.map(\.bitPattern) == one.history.loss.map(\.bitPattern),
                    "threads=\(threads)")
            #expect(many.history == one.history)
            var (a, b) = (one.metrics, many.metrics)
            (a.wallSeconds, a.samplesPerSecond, b.wallSeconds, b.samplesPerSecond) = (0, 0, 0, 0)
            #expect(a == b, "threads=\(threads)")
        }
    }
}
