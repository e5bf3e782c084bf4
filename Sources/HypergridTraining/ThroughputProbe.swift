import HypergridData
import HypergridKernel
import HypergridSearchSpace

/// A small, repeatable training-throughput measurement for benchmarks and for people:
/// trains on synthetic Gaussian data through the real `Trainer` and reports its
/// `samplesPerSecond` (training iterations only; see `Trainer.train`).
///
/// The defaults are the seed's two-layer net at the PCA-reduced CIFAR-10 width
/// (D = 99, H = 256, 10 classes, batch 200, plain SGD, loss recorded every iteration).
public enum ThroughputProbe {
    /// Synthetic splits: `trainRows` rows of `inputWidth` standard-normal features with
    /// uniform labels, and 1,000 validation rows.
    public static func syntheticData(inputWidth: Int, classCount: Int, trainRows: Int,
                                     seed: UInt64 = 0) -> DatasetSplits {
        func split(_ rows: Int, stream: UInt64) -> LabeledMatrix {
            var rng = Philox4x32(seed: seed, stream: stream)
            let storage = FloatStorage(zeroedCount: rows * inputWidth)
            rng.fillGaussian(storage.base, count: rows * inputWidth, std: 1)
            let labels = (0..<rows).map { _ in Int32(rng.nextInt(below: classCount)) }
            return LabeledMatrix(rows: rows, columns: inputWidth, features: storage, labels: labels)
        }
        return DatasetSplits(name: "synthetic", classCount: classCount,
                             train: split(trainRows, stream: 0x5EED_0001),
                             validation: split(1_000, stream: 0x5EED_0002),
                             test: split(0, stream: 0x5EED_0003))
    }

    /// The best samples/s of `repeats` trainings of `iterations` iterations each.
    public static func samplesPerSecond(inputWidth: Int = 99, hidden: [Int] = [256],
                                        classCount: Int = 10, batchNorm: Bool = false,
                                        optimizer: OptimizerKind = .sgd, batchSize: Int = 200,
                                        trainRows: Int = 49_000, iterations: Int = 2_000,
                                        repeats: Int = 3) -> Double {
        let data = syntheticData(inputWidth: inputWidth, classCount: classCount, trainRows: trainRows)
        let config = TrialConfig(hidden: hidden, batchNorm: batchNorm, optimizer: optimizer,
                                 learningRate: 1e-4, reg: 0.25, batchSize: batchSize,
                                 length: .iterations(iterations), seed: 1, lossEvery: 1)
        var best = 0.0
        for _ in 0..<max(repeats, 1) {
            best = max(best, Trainer().train(config: config, data: data).metrics.samplesPerSecond)
        }
        return best
    }
}
