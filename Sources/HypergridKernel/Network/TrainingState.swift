// Exporting and restoring everything a training run carries from one iteration to the
// next, so that a run stopped after N iterations and continued from its state takes the
// same steps, bit for bit, as a run that never stopped: the network's parameters and
// BatchNorm running statistics, the optimizer's buffers and step count, and the position
// of a Philox stream. The blob that holds them is the trainer's (TrainingCheckpoint).

/// Where a ``Philox4x32`` stream is: the next block, the words of the current block already
/// used, and a Box–Muller value kept for the next Gaussian.
public struct PhiloxPosition: Sendable, Equatable {
    public var blockIndex: UInt64
    /// 0...4; 4 means the next word starts a new block.
    public var used: Int
    public var spareGaussian: Double?

    public init(blockIndex: UInt64, used: Int, spareGaussian: Double?) {
        self.blockIndex = blockIndex
        self.used = used
        self.spareGaussian = spareGaussian
    }
}

extension Philox4x32 {
    /// The stream's position (its seed and stream id are the generator's own).
    public var position: PhiloxPosition {
        PhiloxPosition(blockIndex: blockIndex, used: used, spareGaussian: spareGaussian)
    }

    /// Moves the stream to `position`; the words it hands out next are those the stream
    /// had handed out next at that position. False (and unchanged) for an impossible one.
    @discardableResult
    public mutating func seek(to position: PhiloxPosition) -> Bool {
        guard (0...4).contains(position.used), position.used == 4 || position.blockIndex > 0 else { return false }
        blockIndex = position.blockIndex
        used = 4
        if position.used < 4 {
            // Regenerate the partly used block: it is a pure function of its index.
            blockIndex = position.blockIndex - 1
            refill()
            used = position.used
        }
        spareGaussian = position.spareGaussian
        return true
    }
}

extension MinibatchSampler {
    /// The position of the row-sampling stream: the batches drawn next depend on nothing else.
    public var position: PhiloxPosition {
        get { rng.position }
        set { rng.seek(to: newValue) }
    }
}

extension MLP {
    /// Floats in ``exportState()``: every parameter tensor, then the running mean and
    /// variance of each BatchNorm layer.
    public var stateCount: Int {
        parameters.reduce(0) { $0 + $1.count } + layers.reduce(0) { $0 + ($1.batchNorm ? 2 * $1.outDim : 0) }
    }

    /// The parameters (in ``parameters`` order) and BatchNorm running statistics (in layer
    /// order, mean then variance), as one array. Gradients and activations are not state:
    /// every iteration overwrites them before reading them.
    public func exportState() -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(stateCount)
        for p in parameters { out.append(contentsOf: UnsafeBufferPointer(start: p.value, count: p.count)) }
        for layer in layers where layer.batchNorm {
            out.append(contentsOf: UnsafeBufferPointer(start: layer.runningMean!, count: layer.outDim))
            out.append(contentsOf: UnsafeBufferPointer(start: layer.runningVar!, count: layer.outDim))
        }
        return out
    }

    /// Restores what ``exportState()`` returned for a network of the same shape; false
    /// (and nothing changed) when the count does not match.
    @discardableResult
    public func restoreState(_ state: [Float]) -> Bool {
        guard state.count == stateCount, !state.isEmpty else { return false }
        state.withUnsafeBufferPointer { source in
            var cursor = source.baseAddress!
            func take(into target: UnsafeMutablePointer<Float>, _ count: Int) {
                target.update(from: cursor, count: count)
                cursor += count
            }
            for p in parameters { take(into: p.value, p.count) }
            for layer in layers where layer.batchNorm {
                take(into: layer.runningMean!, layer.outDim)
                take(into: layer.runningVar!, layer.outDim)
            }
        }
        return true
    }
}

extension Optimizer {
    /// The rule's buffers (velocities, or Adam's first then second moments, tensor by
    /// tensor) and the step count.
    public func exportState() -> (stepCount: Int, buffers: [Float]) {
        (stepCount, Array(UnsafeBufferPointer(start: state, count: stateTotal)))
    }

    /// Restores what ``exportState()`` returned for the same rule and tensors; false (and
    /// nothing changed) when the buffer count does not match or the step count is negative.
    @discardableResult
    public func restoreState(stepCount: Int, buffers: [Float]) -> Bool {
        guard buffers.count == stateTotal, stepCount >= 0 else { return false }
        if stateTotal > 0 { buffers.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: stateTotal) } }
        self.stepCount = stepCount
        return true
    }
}
