#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HypergridData
import HypergridKernel
import HypergridSearchSpace

/// A small, repeatable training-throughput measurement for benchmarks and for people:
/// trains on synthetic Gaussian data through the real `Trainer` and reports its
/// `samplesPerSecond` (training iterations only; see `Trainer.train`) and the same
/// per CPU second.
///
/// The defaults are the seed's two-layer net at the PCA-reduced CIFAR-10 width
/// (D = 99, H = 256, 10 classes, batch 200, plain SGD, loss recorded every iteration).
public enum ThroughputProbe {
    /// Synthetic splits from the data library's generator (class clusters; throughput
    /// does not depend on the values): `trainRows` training rows of `inputWidth`
    /// features, 1,000 validation rows, no test rows.
    public static func syntheticData(inputWidth: Int, classCount: Int, trainRows: Int,
                                     seed: UInt64 = 0) -> DatasetSplits {
        SyntheticDataset.generate(sizes: SplitSizes(train: trainRows, validation: 1_000, test: 0),
                                  features: inputWidth, classes: classCount, seed: seed)
    }

    /// Throughput of one probe, two ways.
    public struct Measurement: Sendable, Equatable {
        /// The trainer's own figure: samples per wall-clock second of training iterations.
        public var samplesPerSecond: Double
        /// Samples per CPU second of the calling thread over the whole `train` call
        /// (setup and the small evaluations included, ≈ 1 %). On a shared machine this
        /// is what a quiet core would do; with a multi-threaded GEMM it would miss the
        /// helper threads' time.
        public var samplesPerCPUSecond: Double
    }

    /// The best of `repeats` trainings of `iterations` iterations each (each figure's best).
    /// Validation (200 rows) and final training accuracy (1,000 rows) are kept small so
    /// that evaluation stays out of the way.
    public static func measure(inputWidth: Int = 99, hidden: [Int] = [256], classCount: Int = 10,
                               batchNorm: Bool = false, optimizer: OptimizerKind = .sgd,
                               batchSize: Int = 200, trainRows: Int = 5_000, iterations: Int = 2_000,
                               repeats: Int = 3) -> Measurement {
        let full = syntheticData(inputWidth: inputWidth, classCount: classCount, trainRows: trainRows)
        let validation = LabeledMatrix(rows: 200, columns: inputWidth, features: full.validation.features,
                                       labels: Array(full.validation.labels.prefix(200)))
        let data = DatasetSplits(name: full.name, classCount: classCount, train: full.train,
                                 validation: validation, test: full.test)
        let config = TrialConfig(hidden: hidden, batchNorm: batchNorm, optimizer: optimizer,
                                 learningRate: 1e-4, reg: 0.25, batchSize: batchSize,
                                 length: .iterations(iterations), seed: 1, lossEvery: 1)
        var best = Measurement(samplesPerSecond: 0, samplesPerCPUSecond: 0)
        for _ in 0..<max(repeats, 1) {
            let cpuStart = threadCPUSeconds()
            let metrics = Trainer(trainAccuracyRows: 1_000).train(config: config, data: data).metrics
            let cpu = threadCPUSeconds() - cpuStart
            best.samplesPerSecond = max(best.samplesPerSecond, metrics.samplesPerSecond)
            if cpu > 0 {
                best.samplesPerCPUSecond = max(best.samplesPerCPUSecond,
                                               Double(metrics.iterations * batchSize) / cpu)
            }
        }
        return best
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
