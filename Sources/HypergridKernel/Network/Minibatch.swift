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
    var rng: Philox4x32
    private let storage: UnsafeMutableRawPointer

    public init(seed: UInt64, batchSize: Int, columns: Int) {
        precondition(batchSize > 0 && columns > 0, "batch and columns must be positive")
        self.batchSize = batchSize
        self.columns = columns
        rng = Philox4x32(seed: seed, stream: RandomStreams.minibatch)
        // Features first (64-byte aligned for the GEMM), then indices and labels.
        let featureBytes = (batchSize * columns * 4 + 63) & ~63
        storage = .allocate(byteCount: featureBytes + 8 * batchSize, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: featureBytes + 8 * batchSize)
        features = storage.bindMemory(to: Float.self, capacity: batchSize * columns)
        indices = (storage + featureBytes).bindMemory(to: Int32.self, capacity: batchSize)
        labels = (storage + featureBytes + 4 * batchSize).bindMemory(to: Int32.self,
                                                                     capacity: batchSize)
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
