import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridSearchSpace
import Testing
@testable import HypergridTraining

/// Where the shared CIFAR-10 copy lives: `$HYPERGRID_CIFAR10_DIR`, else
/// `../shared/data/cifar-10-batches-bin` beside the repository.
let sharedCIFAR10: String = {
    if let dir = ProcessInfo.processInfo.environment["HYPERGRID_CIFAR10_DIR"] { return dir }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("shared/data/cifar-10-batches-bin").path
}()

/// Trains on the real CIFAR-10 files (standardise + PCA 0.90, as the seed). Runs
/// wherever the shared copy exists — always in CI; elsewhere point
/// HYPERGRID_CIFAR10_DIR at the official binary files.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: sharedCIFAR10 + "/data_batch_1.bin"),
                "needs CIFAR-10 at \(sharedCIFAR10)"))
struct RealCIFAR10Tests {
    @Test func oneEpochIsFarAboveChance() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hg-cifar-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: cache) }
        let request = DatasetRequest(spec: DatasetSpec(kind: .cifar10, path: sharedCIFAR10, standardize: true, pcaVariance: 0.9))
        let prepared = try prepareDataset(request, cacheDirectory: cache)
        // The seed reports 97-99 components for 90 % of the variance.
        #expect((95...100).contains(prepared.pcaComponents ?? 0))
        #expect(prepared.splits.train.rows == 49_000 && prepared.splits.validation.rows == 1_000)
        let config = TrialConfig(hidden: [256], optimizer: .adam, learningRate: 1e-3, reg: 1e-3,
                                 batchSize: 200, length: .epochs(1), initScheme: .gaussian(std: 0.01), seed: 0)
        let outcome = Trainer().train(config: config, data: prepared.splits)
        #expect(outcome.metrics.status == .done)
        // Chance is 10 %; the seed's recipe reaches ~41 % after one SGD epoch, Adam ~47 %.
        #expect((outcome.metrics.validationAccuracy ?? 0) >= 0.40)
        // A second preparation is a cache hit and gives the same bits.
        let again = try prepareDataset(request, cacheDirectory: cache)
        #expect(again.loadedFromCache)
        #expect(again.fingerprint == prepared.fingerprint)
        let repeatOutcome = Trainer().train(config: config, data: again.splits)
        #expect(repeatOutcome.history == outcome.history)
        #expect(repeatOutcome.metrics.validationAccuracy == outcome.metrics.validationAccuracy)
    }
}
