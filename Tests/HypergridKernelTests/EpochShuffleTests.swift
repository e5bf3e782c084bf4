import Testing
@testable import HypergridKernel

/// Epoch-wise shuffling of `MinibatchSampler`: every row once per epoch, an order that
/// depends on the seed and the epoch only, and no allocation per batch.
@Suite struct EpochShuffleTests {
    let rows = 103, batch = 10, columns = 3

    func data() -> (features: [Float], labels: [Int32]) {
        ((0..<(rows * columns)).map { Float($0 / columns) }, (0..<rows).map { Int32($0) })
    }

    /// The row indices of `steps` batches starting at iteration `first`.
    func batches(_ sampler: MinibatchSampler, from first: Int, count steps: Int) -> [[Int32]] {
        let (f, l) = data()
        return (first..<(first + steps)).map { step in
            sampler.next(features: f, labels: l, rows: rows, step: step)
            // The gathered rows are the indexed ones (feature value = row index).
            for i in 0..<batch { #expect(sampler.labels[i] == sampler.indices[i] && sampler.features[i * columns] == Float(sampler.indices[i])) }
            return Array(UnsafeBufferPointer(start: sampler.indices, count: batch))
        }
    }

    func shuffled(seed: UInt64 = 3) -> MinibatchSampler {
        let s = MinibatchSampler(seed: seed, batchSize: batch, columns: columns)
        s.shuffleEpochs(rows: rows)
        return s
    }

    @Test func everyRowAtMostOncePerEpochAndEpochsDiffer() {
        let perEpoch = rows / batch   // 10 batches; the order's last 3 rows sit the epoch out
        let all = batches(shuffled(), from: 0, count: 3 * perEpoch)
        var epochs: [[Int32]] = []
        for e in 0..<3 {
            let seen = all[(e * perEpoch)..<((e + 1) * perEpoch)].flatMap { $0 }
            #expect(Set(seen).count == perEpoch * batch, "epoch \(e) repeats a row")
            #expect(seen.allSatisfy { (0..<Int32(rows)).contains($0) })
            epochs.append(seen)
        }
        #expect(epochs[0] != epochs[1] && epochs[1] != epochs[2])
        #expect(epochs[0] != Array(0..<Int32(perEpoch * batch)), "not shuffled")
    }

    @Test func theOrderDependsOnSeedAndEpochOnly() {
        let straight = batches(shuffled(), from: 0, count: 25)
        // A sampler started mid-way (a resumed trial) draws the same batches from there on.
        let resumed = batches(shuffled(), from: 14, count: 11)
        #expect(Array(straight[14...]) == resumed)
        #expect(batches(shuffled(seed: 4), from: 0, count: 25) != straight)
        // Sampling with replacement is untouched by the option's existence.
        let plain = MinibatchSampler(seed: 3, batchSize: batch, columns: columns)
        let other = MinibatchSampler(seed: 3, batchSize: batch, columns: columns)
        #expect(batches(plain, from: 0, count: 5) == batches(other, from: 7, count: 5))
    }

    @Test func aBatchLargerThanTheSplitWrapsAround() {
        let s = MinibatchSampler(seed: 1, batchSize: 8, columns: 1)
        s.shuffleEpochs(rows: 5)
        let f: [Float] = [0, 1, 2, 3, 4], l: [Int32] = [0, 1, 2, 3, 4]
        s.next(features: f, labels: l, rows: 5, step: 0)
        let first = Array(UnsafeBufferPointer(start: s.indices, count: 8))
        #expect(Set(first.prefix(5)) == Set(0..<5) && Array(first[5...]) == Array(first[..<3]))
    }

    @Test func batchesAllocateNothing() {
        let sampler = shuffled()
        let (f, l) = data()
        f.withUnsafeBufferPointer { fp in
            l.withUnsafeBufferPointer { lp in
                sampler.next(features: fp.baseAddress!, labels: lp.baseAddress!, rows: rows, step: 0)
                let count = countAllocations {
                    for step in 1..<40 { sampler.next(features: fp.baseAddress!, labels: lp.baseAddress!, rows: rows, step: step) }
                }
                #expect(count == 0)
            }
        }
    }
}
