/// Samples training minibatches with replacement (as the seed's
/// `rng.choice(N, B, replace=True)`) and gathers their rows and labels into buffers
/// allocated once, so that sampling allocates nothing.
///
/// Row indices come from Philox stream `RandomStreams.minibatch` under the trial's seed,
/// each an unbiased `nextInt(below: rows)`, drawn in batch order.
public final class MinibatchSampler {
    public let batchSize: Int
    public let columns: Int
    /// The row indices of the current batch: [batchSize].
    public let indices: UnsafeMutablePointer<Int32>
    /// The gathered features of the current batch: [batchSize × columns].
    public let features: UnsafeMutablePointer<Float>
    /// The gathered labels of the current batch: [batchSize].
    public let labels: UnsafeMutablePointer<Int32>
    /// Regression targets per row (0 for classification).
    public let targetColumns: Int
    /// The gathered regression targets of the current batch (``gatherTargets(from:)``):
    /// [batchSize × targetColumns].
    public let targets: UnsafeMutablePointer<Float>
    var rng: Philox4x32
    private let storage: UnsafeMutableRawPointer

    public init(seed: UInt64, batchSize: Int, columns: Int, targetColumns: Int = 0) {
        precondition(batchSize > 0 && columns > 0 && targetColumns >= 0,
                     "batch and columns must be positive")
        self.batchSize = batchSize
        self.columns = columns
        self.targetColumns = targetColumns
        rng = Philox4x32(seed: seed, stream: RandomStreams.minibatch)
        // Features first (64-byte aligned for the GEMM), then indices, labels and targets.
        let featureBytes = (batchSize * columns * 4 + 63) & ~63
        let total = featureBytes + 8 * batchSize + 4 * batchSize * targetColumns
        storage = .allocate(byteCount: total, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        features = storage.bindMemory(to: Float.self, capacity: batchSize * columns)
        indices = (storage + featureBytes).bindMemory(to: Int32.self, capacity: batchSize)
        labels = (storage + featureBytes + 4 * batchSize).bindMemory(to: Int32.self,
                                                                     capacity: batchSize)
        targets = (storage + featureBytes + 8 * batchSize).bindMemory(to: Float.self,
                                                                      capacity: batchSize * targetColumns)
    }

    /// Gathers the targets of the current batch's rows (drawn by the last `next`): a copy of
    /// `targetColumns` floats per row, on the calling thread (a few floats per row).
    ///
    ///     // source: [rows × targetColumns] of the dataset `next` sampled
    public func gatherTargets(from source: UnsafePointer<Float>) {
        let k = targetColumns
        for r in 0..<batchSize {
            (targets + r * k).update(from: source + Int(indices[r]) * k, count: k)
        }
    }

    deinit { storage.deallocate() }

    /// Draws the next batch from a dataset of `rows` rows and gathers it.
    ///
    ///     // features: [rows × columns], labels: [rows]
    /// With a `team`, the rows are copied on its threads (the indices are drawn first,
    /// in batch order, on the calling thread: the same batch for any team).
    public func next(features source: UnsafePointer<Float>, labels sourceLabels: UnsafePointer<Int32>,
                     rows: Int, team: ThreadTeam? = nil) {
        rng.fillIndices(indices, count: batchSize, below: rows)
        guard let team, team.count > 1, batchSize * columns >= 2 * minimumElementsPerThread else {
            gatherRows(into: features, labels: labels, from: source, labels: sourceLabels,
                       columns: columns, indices: indices, count: batchSize)
            return
        }
        (job.sampler, job.source, job.sourceLabels) = (self, source, sourceLabels)
        team.forEachRange(batchSize, job)
        job.sampler = nil
    }

    /// The team job of `next`: gathers a range of the batch's rows.
    private final class GatherJob: RangeJob {
        unowned(unsafe) var sampler: MinibatchSampler? = nil
        var source: UnsafePointer<Float>? = nil
        var sourceLabels: UnsafePointer<Int32>? = nil

        override func run(range r: Range<Int>) {
            let s = sampler!
            gatherRows(into: s.features + r.lowerBound * s.columns, labels: s.labels + r.lowerBound,
                       from: source!, labels: sourceLabels!, columns: s.columns,
                       indices: s.indices + r.lowerBound, count: r.count)
        }
    }
    private let job = GatherJob()
}
