import Foundation
import HypergridResults
import HypergridSearchSpace
import Testing

struct ModelStoreTests {
    static func id(_ n: Int) -> TrialID { TrialID(hex: String(repeating: "0", count: 62) + String(format: "%02x", n))! }
    static func rank(_ metric: Double, refit: Bool = false) -> ModelStore.Ranked { .init(metric: metric, isRefit: refit) }

    func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("model-store-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func files(_ store: ModelStore) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: store.directory)) ?? []))
    }

    @Test func keepsTheKBestAndEveryRefitAndDeletesTheDisplaced() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ModelStore(runDirectory: dir, keep: 2) { _ in nil }
        try store.offer([1], for: Self.id(1), rank: Self.rank(0.5))
        try store.offer([2], for: Self.id(2), rank: Self.rank(0.7))
        #expect(try store.offer([3], for: Self.id(3), rank: Self.rank(0.4)).isEmpty)   // worse than both: not stored
        #expect(try store.offer([4], for: Self.id(4), rank: Self.rank(0.9)) == [Self.id(1)])
        try store.offer([5], for: Self.id(5), rank: Self.rank(0.1, refit: true))
        #expect(Set(store.kept.keys) == [Self.id(2), Self.id(4), Self.id(5)])
        #expect(files(store) == Set([2, 4, 5].map { "\(Self.id($0).hex).hgmodel" }))
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path(Self.id(4)))) == Data([4]))
    }

    @Test func equalMetricsRankByTrialIdWhateverTheOrderOfArrival() throws {
        for order in [[1, 2, 3], [3, 2, 1], [2, 3, 1]] {
            let dir = try directory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = ModelStore(runDirectory: dir, keep: 2) { _ in nil }
            for n in order { try store.offer([UInt8(n)], for: Self.id(n), rank: Self.rank(0.5)) }
            #expect(Set(store.kept.keys) == [Self.id(1), Self.id(2)])
        }
    }

    /// After a restart: models of journalled results stay, a model whose result never reached
    /// the journal and a temporary file of an interrupted write are deleted.
    @Test func aRestartRebuildsTheStoreFromTheFolderAndTheJournal() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = ModelStore(runDirectory: dir, keep: 2) { _ in nil }
        try first.offer([1], for: Self.id(1), rank: Self.rank(0.5))
        try first.offer([2], for: Self.id(2), rank: Self.rank(0.6))
        _ = FileManager.default.createFile(atPath: first.directory + "/.\(Self.id(3).hex).hgmodel.tmp", contents: Data([9]))
        let journalled: [TrialID: ModelStore.Ranked] = [Self.id(1): Self.rank(0.5)]
        let second = ModelStore(runDirectory: dir, keep: 2) { journalled[$0] }
        #expect(Set(second.kept.keys) == [Self.id(1)])
        #expect(files(second) == ["\(Self.id(1).hex).hgmodel"])
        #expect(second.wouldKeep(Self.id(4), Self.rank(0.1)))
    }

    @Test func keepZeroKeepsNothingAndUnfinishedTrialsDoNotRank() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ModelStore(runDirectory: dir, keep: 0) { _ in nil }
        #expect(try store.offer([1], for: Self.id(1), rank: Self.rank(0.9, refit: true)).isEmpty)
        #expect(store.kept.isEmpty && files(store).isEmpty)
        let config = TrialConfig(hidden: [4], batchNorm: false, optimizer: .sgd, momentum: 0.9, learningRate: 0.1,
                                 learningRateDecay: 1, reg: 0, batchSize: 10, length: .iterations(1),
                                 initScheme: .he, seed: 0, lossEvery: 1)
        #expect(ModelStore.rank(of: TrialMetrics(status: .diverged), config: config) == nil)
        var done = TrialMetrics(status: .done)
        done.validationAccuracy = 0.8
        #expect(ModelStore.rank(of: done, config: config) == Self.rank(0.8))
    }
}
