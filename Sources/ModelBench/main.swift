// hypergrid-model-bench: what models cost.
//
//   swift build -c release --product hypergrid-model-bench
//   .build/release/hypergrid-model-bench [--rows 200000] [--results 300]
//
// 1. The forward pass of `hypergrid predict` (ModelPredictor) on a 784-256-10 network, one
//    thread, in rows per second, with and without BatchNorm and with PCA to 187 components
//    (Fashion-MNIST's 90 %): the same code path as the command, without file I/O.
// 2. The size of such a model's .hgmodel file.
// 3. What keeping K models costs the coordinator: ModelStore.offer (temporary file, fsync,
//    rename, directory fsync, and the deletes of displaced models) for a stream of results in
//    random metric order, per result and per stored model, and the disk the kept models take.
// Prints the CPU model first. Figures from a shared machine are noisy: run it twice.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HypergridResults
import HypergridData
import HypergridKernel
import HypergridModel
import HypergridPreprocessing
import HypergridSearchSpace

var args = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count, let v = Int(args[i + 1]), v > 0 else { return fallback }
    return v
}
let rows = value("--rows", 200_000)
let results = value("--results", 300)

/// This thread's CPU time: on a shared machine the rate per CPU-second is what a core of its
/// own would give, while the wall-clock rate also counts the time other processes took the core.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
print("CPU: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores; one thread")

/// A 784-input model with random weights (the values do not change the cost).
func model(hidden: [Int], batchNorm: Bool, components: Int?) -> TrainedModel {
    let d = 784
    var rng = Philox4x32(seed: 1, stream: 9)
    let projection = components.map { k -> PCAProjection in
        var basis = [Float](repeating: 0, count: k * d)
        basis.withUnsafeMutableBufferPointer { rng.fillGaussian($0.baseAddress!, count: $0.count, std: 0.05) }
        return PCAProjection(features: d, components: k, basis: basis, retainedVariance: 0.9)
    }
    let shape = MLPShape(inputWidth: components ?? d, hidden: hidden, classCount: 10, batchNorm: batchNorm)
    let net = MLP(shape: shape, maxBatch: 1)
    net.initialize(.he, seed: 3)
    let schema = InputSchema(columns: nil, arrayFeatureCount: d, target: .classes(names: (0..<10).map(String.init)))
    return TrainedModel(trialID: String(repeating: "0", count: 64), configJSON: "{}", numerics: HypergridVersion.numerics,
                        datasetName: "bench", datasetFingerprint: "bench", validationMetric: nil, testMetric: nil,
                        schema: schema, standardizer: Standardizer(mean: .init(repeating: 100, count: d), scale: .init(repeating: 80, count: d)),
                        projection: projection, shape: shape, weights: net.exportState())
}

// 1 and 2.
let input = FloatStorage(zeroedCount: rows * 784)
var pixels = Philox4x32(seed: 5, stream: 1)
pixels.fillGaussian(input.base, count: rows * 784, std: 60)
print("\nforward pass (ModelPredictor, chunks of 1,024 rows), \(rows) rows, best of 3:")
for (name, m) in [("784-256-10", model(hidden: [256], batchNorm: false, components: nil)),
                  ("784-256-10 + BatchNorm", model(hidden: [256], batchNorm: true, components: nil)),
                  ("784 -PCA-> 187-256-10 + BatchNorm", model(hidden: [256], batchNorm: true, components: 187))] {
    let predictor = ModelPredictor(model: m)
    var out = [Float](repeating: 0, count: rows * 10)
    var classes = [Int32](repeating: 0, count: rows)
    predictor.predict(features: input.base, rows: min(rows, 4096), outputs: &out, classes: &classes)  // warm-up
    var best = Double.infinity, bestCPU = Double.infinity
    for _ in 0..<3 {
        let start = ContinuousClock.now, startCPU = threadCPUSeconds()
        predictor.predict(features: input.base, rows: rows, outputs: &out, classes: &classes)
        best = min(best, seconds(ContinuousClock.now - start))
        bestCPU = min(bestCPU, threadCPUSeconds() - startCPU)
    }
    let flops = 2.0 * Double(m.shape.multiplyAddsPerSample + (m.projection.map { $0.components * 784 } ?? 0))
    // Swift's String(format:) does not pad %@ on Linux: pad the name by hand.
    let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
    print(String(format: "  %@ %9.0f rows/s wall (%5.1f GFLOP/s)  %9.0f rows/CPU-s (%5.1f GFLOP/s)  .hgmodel %d bytes",
                 label, Double(rows) / best, flops * Double(rows) / best / 1e9,
                 Double(rows) / bestCPU, flops * Double(rows) / bestCPU / 1e9, m.encoded().count))
}

// 3.
let blob = model(hidden: [256], batchNorm: false, components: nil).encoded()
print("\nkeeping models: \(results) results with a \(blob.count)-byte model each, metrics in random order")
for keep in [1, 5, 20] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-bench-\(getpid())-\(keep)").path
    try? FileManager.default.removeItem(atPath: dir)
    let store = ModelStore(runDirectory: dir, keep: keep) { _ in nil }
    var rng = SystemRandomNumberGenerator()
    var stored = 0, offerTime = Duration.zero, storedTime = Duration.zero
    for i in 0..<results {
        let id = TrialID(config: TrialConfig(hidden: [i + 1], batchNorm: false, optimizer: .sgd, momentum: 0.9, learningRate: 0.1,
                                             learningRateDecay: 1, reg: 0, batchSize: 1, length: .iterations(1),
                                             initScheme: .he, seed: 0, lossEvery: 1), datasetFingerprint: "bench")
        let rank = ModelStore.Ranked(metric: Double.random(in: 0..<1, using: &rng), isRefit: false)
        let keeps = store.wouldKeep(id, rank)
        let start = ContinuousClock.now
        _ = try store.offer(blob, for: id, rank: rank)
        let spent = ContinuousClock.now - start
        offerTime += spent
        if keeps { stored += 1; storedTime += spent }
    }
    print(String(format: "  keep %2d: stored %3d of %d models, %.2f ms per stored model (write + fsync + rename + deletes), %.3f ms per result on average, %d kept = %.1f MB on disk",
                 keep, stored, results, stored > 0 ? seconds(storedTime) / Double(stored) * 1000 : 0,
                 seconds(offerTime) / Double(results) * 1000, store.kept.count, Double(store.bytesOnDisk) / 1e6))
    try? FileManager.default.removeItem(atPath: dir)
}
