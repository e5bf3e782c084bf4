/// Samples training minibatches with replacement (as the seed's
/// `rng.choice(N, B, replace=True)`), or epoch by epoch through a shuffled order
/// (``shuffleEpochs(rows:)``), and gathers their rows and labels into buffers allocated
/// once, so that sampling allocates nothing.
///
/// With replacement, row indices come from Philox stream `RandomStreams.minibatch` under the
/// trial's seed, each an unbiased `nextInt(below: rows)`, drawn in batch order. Shuffled,
/// epoch `e`'s order is a Fisher–Yates permutation of the identity drawn from stream
/// `RandomStreams.epochShuffle` at block `e·2³²`: it depends on the seed and the epoch only,
/// so a trial resumed from a checkpoint continues the same order.
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
    private let seed: UInt64
    /// The current epoch's order of the training rows, when shuffling: [permutationRows].
    private var permutation: UnsafeMutablePointer<Int32>? = nil
    private var permutationRows = 0
    private var permutationEpoch = -1

    public init(seed: UInt64, batchSize: Int, columns: Int, targetColumns: Int = 0) {
        precondition(batchSize > 0 && columns > 0 && targetColumns >= 0,
                     "batch and columns must be positive")
        self.batchSize = batchSize
        self.columns = columns
        self.targetColumns = targetColumns
        rng = Philox4x32(seed: seed, stream: RandomStreams.minibatch)
        self.seed = seed
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

    deinit {
        storage.deallocate()
        permutation?.deallocate()
    }

    /// From now on, `next` takes the batches of each epoch from a shuffled order of the
    /// `rows` training rows (allocated here, once). An epoch is `max(rows / batchSize, 1)`
    /// batches, as the trainer counts it.
    public func shuffleEpochs(rows: Int) {
        precondition(rows > 0 && rows <= Int(Int32.max), "row indices must fit in Int32")
        permutation?.deallocate()
        permutation = .allocate(capacity: rows)
        permutationRows = rows
        permutationEpoch = -1
    }

    /// Epoch `epoch`'s order: the identity shuffled by Fisher–Yates (as numpy's
    /// `permutation`, from the last position down).
    private func shuffle(epoch: Int, into order: UnsafeMutablePointer<Int32>) {
        var g = Philox4x32(seed: seed, stream: RandomStreams.epochShuffle, block: UInt64(epoch) << 32)
        for i in 0..<permutationRows { order[i] = Int32(truncatingIfNeeded: i) }
        var i = permutationRows - 1
        while i > 0 {
            let j = g.nextInt(below: i + 1)
            (order[i], order[j]) = (order[j], order[i])
            i -= 1
        }
        permutationEpoch = epoch
    }

    /// Draws the next batch from a dataset of `rows` rows and gathers it.
    ///
    ///     // features: [rows × columns], labels: [rows]
    /// With a `team`, the rows are copied on its threads (the indices are drawn first,
    /// in batch order, on the calling thread: the same batch for any team).
    /// `step` is the training iteration (0-based, counted across resumes): shuffled batches
    /// are the `step mod perEpoch`-th slice of epoch `step / perEpoch`'s order.
    public func next(features source: UnsafePointer<Float>, labels sourceLabels: UnsafePointer<Int32>,
                     rows: Int, step: Int = 0, team: ThreadTeam? = nil) {
        if let order = permutation {
            precondition(rows == permutationRows, "shuffleEpochs(rows:) was given another row count")
            let perEpoch = max(rows / batchSize, 1)
            let epoch = step / perEpoch
            if epoch != permutationEpoch { shuffle(epoch: epoch, into: order) }
            // A batch larger than the split wraps around the order.
            let start = (step % perEpoch) * batchSize
            for i in 0..<batchSize { indices[i] = order[(start + i) % rows] }
        } else {
            rng.fillIndices(indices, count: batchSize, below: rows)
        }
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
