/// What the output layer's scores are trained against.
public enum OutputLoss: Sendable, Hashable {
    /// Class scores, softmax cross-entropy against integer labels (classification).
    case softmaxCrossEntropy
    /// Predicted values, mean squared error against float targets (regression).
    case meanSquaredError
}

/// The architecture of a multi-layer perceptron:
/// `input → [affine → (BatchNorm) → ReLU] × hidden.count → affine → classCount outputs`.
public struct MLPShape: Sendable, Hashable {
    /// Features per input row (D).
    public var inputWidth: Int
    /// Hidden layer widths, input side first.
    public var hidden: [Int]
    /// Output width: classes (C) for classification, target columns (K) for regression.
    public var classCount: Int
    /// BatchNorm1d between each hidden affine layer and its ReLU. Those affine layers
    /// then have no bias: BatchNorm subtracts the batch mean, so a bias there has an
    /// exactly-zero gradient in exact arithmetic and only collects rounding noise
    /// (which Adam would amplify); β plays its role.
    public var batchNorm: Bool
    /// The training loss on the outputs.
    public var loss: OutputLoss

    public init(inputWidth: Int, hidden: [Int], classCount: Int, batchNorm: Bool,
                loss: OutputLoss = .softmaxCrossEntropy) {
        self.inputWidth = inputWidth
        self.hidden = hidden
        self.classCount = classCount
        self.batchNorm = batchNorm
        self.loss = loss
    }

    /// Affine layers: one per hidden width plus the output layer.
    public var layerCount: Int { hidden.count + 1 }
    /// `[inputWidth] + hidden + [classCount]`: layer `l` maps `widths[l]` to `widths[l+1]`.
    public var widths: [Int] { [inputWidth] + hidden + [classCount] }
    /// Multiply-adds per sample for one forward pass (the backward costs about twice that).
    public var multiplyAddsPerSample: Int {
        let w = widths
        return (0..<layerCount).reduce(0) { $0 + w[$1] * w[$1 + 1] }
    }
}

/// How weight matrices are initialised; biases and β start at 0, γ at 1, the running
/// mean at 0 and the running variance at 1.
public enum WeightInit: Sendable, Equatable {
    /// Gaussian with a fixed standard deviation (the seed's 1e-4).
    case gaussian(std: Double)
    /// He et al. (2015): Gaussian with `std = sqrt(2 / fan_in)`.
    case he
}

/// Inverted dropout after every hidden layer's ReLU in training passes (see `Dropout.swift`):
/// each activation is dropped with probability `rate`, from masks drawn under `seed`.
public struct DropoutSettings: Sendable, Hashable {
    /// Drop probability, in [0, 1).
    public var rate: Double
    /// The trial's seed: masks come from its Philox streams `RandomStreams.dropout(layer:)`.
    public var seed: UInt64

    public init(rate: Double, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.rate = rate
        self.seed = seed
    }
}

/// Pointers into the arena for one affine layer and the BatchNorm that may follow it.
struct LayerBuffers {
    let inDim: Int
    let outDim: Int
    /// A hidden layer followed by BatchNorm.
    let batchNorm: Bool
    let isOutput: Bool
    let w: UnsafeMutablePointer<Float>          // [inDim × outDim]
    let dw: UnsafeMutablePointer<Float>         // [inDim × outDim]
    let b: UnsafeMutablePointer<Float>?         // [outDim], nil before BatchNorm
    let db: UnsafeMutablePointer<Float>?
    let gamma: UnsafeMutablePointer<Float>?     // [outDim], BatchNorm only (and below)
    let beta: UnsafeMutablePointer<Float>?
    let dGamma: UnsafeMutablePointer<Float>?
    let dBeta: UnsafeMutablePointer<Float>?
    let runningMean: UnsafeMutablePointer<Float>?
    let runningVar: UnsafeMutablePointer<Float>?
    let mean: UnsafeMutablePointer<Float>?      // batch statistics saved for backward
    let rstd: UnsafeMutablePointer<Float>?
    let inferenceRstd: UnsafeMutablePointer<Float>?  // scratch of the inference pass
    /// [maxBatch × outDim]: the affine output. Without BatchNorm a hidden layer applies
    /// ReLU in place, so `z` is also its activation; the output layer's `z` holds the
    /// scores, then dScores.
    let z: UnsafeMutablePointer<Float>
    /// [maxBatch × outDim]: the activation fed to the next layer (`z` itself unless BatchNorm).
    let a: UnsafeMutablePointer<Float>
    /// [maxBatch × outDim]: ∂loss/∂a on the way in, ∂loss/∂z after the layer's backward
    /// (unused by the output layer, whose dScores live in `z`).
    let delta: UnsafeMutablePointer<Float>
}

/// A multi-layer perceptron whose parameters, gradients, BatchNorm statistics and all
/// activations for up to `maxBatch` rows live in one 64-byte-aligned arena allocated at
/// `init`: a training step (`lossAndGradients` then `Optimizer.step`) allocates nothing.
///
/// Parameter order (also of `parameters`): for each affine layer `W`, then `b` or, before
/// BatchNorm, `γ` and `β`. Values are contiguous, then gradients in the same order.
public final class MLP {
    public let shape: MLPShape
    /// Rows the activation buffers hold; larger batches are evaluated in chunks.
    public let maxBatch: Int
    /// Every trainable tensor with its gradient, in the order above.
    public private(set) var parameters: [ParameterTensor] = []
    /// Total trainable floats.
    public let parameterCount: Int

    /// Threads that share the work of every pass (GEMMs split by rows or columns,
    /// column reductions by columns, elementwise passes by blocks); nil runs on the
    /// calling thread. Results are the same bits for any team (tested).
    public var team: ThreadTeam?

    /// Dropout in the training passes (`lossAndGradients`, `referenceLossAndGradients`);
    /// nil or a rate of 0 for none. Inference never drops.
    public var dropout: DropoutSettings?
    /// Label smoothing ε of the training loss (`LabelSmoothing.swift`), in [0, 1); 0 trains
    /// against one-hot labels through the unsmoothed functions (their bits). Inference and
    /// accuracies do not depend on it.
    public var labelSmoothing: Float = 0
    /// The team job of the dropout forward (allocated once, refilled per layer).
    let dropoutJob = DropoutJob()

    /// The team job of the BatchNorm forward (allocated once, refilled per layer).
    let batchNormJob = BatchNormForwardJob()
    /// The team job of `weightSquareSum` and its per-block sums (largest weight tensor).
    let squareSumJob = SquareSumJob()
    let blockSums: UnsafeMutablePointer<Float>

    let layers: [LayerBuffers]
    /// [maxBatch × classCount] and [maxBatch]: used only by the plain reference pass.
    let referenceProbs: UnsafeMutablePointer<Float>
    let referenceLosses: UnsafeMutablePointer<Float>
    /// [maxBatch]: argmax output of the evaluation passes (its own small allocation).
    let predictions: UnsafeMutablePointer<Int32>
    private let arena: UnsafeMutableRawPointer

    /// Builds the network with all buffers for batches of up to `maxBatch` rows and
    /// zero weights; call `initialize(_:seed:)` before training.
    public init(shape: MLPShape, maxBatch: Int) {
        precondition(shape.inputWidth > 0 && shape.classCount > 0 && maxBatch > 0
                     && shape.hidden.allSatisfy { $0 > 0 }, "MLP widths and batch must be positive")
        self.shape = shape
        self.maxBatch = maxBatch
        let widths = shape.widths
        let count = shape.layerCount

        // Float counts rounded up to 16 so that every tensor starts on a 64-byte line.
        func padded(_ n: Int) -> Int { (n + 15) & ~15 }
        var paramFloats = 0, stateFloats = 0, activationFloats = 0
        for l in 0..<count {
            let (i, o) = (widths[l], widths[l + 1])
            let bn = shape.batchNorm && l < count - 1
            paramFloats += padded(i * o) + (bn ? 2 * padded(o) : padded(o))
            stateFloats += bn ? 5 * padded(o) : 0
            activationFloats += (bn ? 3 : 2) * padded(maxBatch * o)
        }
        let auxFloats = padded(maxBatch * shape.classCount) + padded(maxBatch)
        let total = 2 * paramFloats + stateFloats + activationFloats + auxFloats
        arena = .allocate(byteCount: total * 4, alignment: 64)
        let base = arena.initializeMemory(as: Float.self, repeating: 0, count: total)
        parameterCount = (0..<count).reduce(0) { sum, l in
            let bn = shape.batchNorm && l < count - 1
            return sum + widths[l] * widths[l + 1] + (bn ? 2 : 1) * widths[l + 1]
        }

        var valueCursor = base
        var gradCursor = base + paramFloats
        var cursor = base + 2 * paramFloats
        func take(_ n: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += padded(n) }
            return cursor
        }
        var built: [LayerBuffers] = []
        var tensors: [ParameterTensor] = []
        func param(_ n: Int, isWeight: Bool) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            let pair = (valueCursor, gradCursor)
            valueCursor += padded(n)
            gradCursor += padded(n)
            tensors.append(ParameterTensor(value: pair.0, gradient: pair.1, count: n, isWeight: isWeight))
            return pair
        }
        for l in 0..<count {
            let (i, o) = (widths[l], widths[l + 1])
            let bn = shape.batchNorm && l < count - 1
            let (w, dw) = param(i * o, isWeight: true)
            var b: UnsafeMutablePointer<Float>? = nil, db: UnsafeMutablePointer<Float>? = nil
            var gamma: UnsafeMutablePointer<Float>? = nil, dGamma: UnsafeMutablePointer<Float>? = nil
            var beta: UnsafeMutablePointer<Float>? = nil, dBeta: UnsafeMutablePointer<Float>? = nil
            if bn {
                (gamma, dGamma) = param(o, isWeight: false)
                (beta, dBeta) = param(o, isWeight: false)
            } else {
                (b, db) = param(o, isWeight: false)
            }
            let stats = bn ? (take(o), take(o), take(o), take(o), take(o)) : nil
            let z = take(maxBatch * o)
            let a = bn ? take(maxBatch * o) : z
            let delta = take(maxBatch * o)
            built.append(LayerBuffers(
                inDim: i, outDim: o, batchNorm: bn, isOutput: l == count - 1,
                w: w, dw: dw, b: b, db: db, gamma: gamma, beta: beta, dGamma: dGamma, dBeta: dBeta,
                runningMean: stats?.0, runningVar: stats?.1, mean: stats?.2, rstd: stats?.3,
                inferenceRstd: stats?.4, z: z, a: a, delta: delta))
        }
        referenceProbs = take(maxBatch * shape.classCount)
        referenceLosses = take(maxBatch)
        predictions = .allocate(capacity: maxBatch)
        predictions.initialize(repeating: 0, count: maxBatch)
        let maxWeights = (0..<count).map { widths[$0] * widths[$0 + 1] }.max() ?? 0
        let maxBlocks = max(1, (maxWeights + squareSumBlock - 1) / squareSumBlock)
        blockSums = .allocate(capacity: maxBlocks)
        blockSums.initialize(repeating: 0, count: maxBlocks)
        layers = built
        parameters = tensors
        resetStatistics()
    }

    deinit {
        arena.deallocate()
        predictions.deallocate()
        blockSums.deallocate()
    }

    /// Draws every weight matrix from its own Philox stream under `seed`
    /// (`RandomStreams.initialization(layer:)`), zeroes biases and β, sets γ to 1 and
    /// resets the BatchNorm running statistics.
    public func initialize(_ scheme: WeightInit, seed: UInt64) {
        for (l, layer) in layers.enumerated() {
            let std: Double
            switch scheme {
            case .gaussian(let s): std = s
            case .he: std = (2.0 / Double(layer.inDim)).squareRoot()
            }
            var rng = Philox4x32(seed: seed, stream: RandomStreams.initialization(layer: l))
            rng.fillGaussian(layer.w, count: layer.inDim * layer.outDim, std: std)
            layer.b?.update(repeating: 0, count: layer.outDim)
            layer.gamma?.update(repeating: 1, count: layer.outDim)
            layer.beta?.update(repeating: 0, count: layer.outDim)
        }
        resetStatistics()
    }

    /// Running mean 0 and running variance 1 in every BatchNorm layer (PyTorch's start).
    public func resetStatistics() {
        for layer in layers where layer.batchNorm {
            layer.runningMean?.update(repeating: 0, count: layer.outDim)
            layer.runningVar?.update(repeating: 1, count: layer.outDim)
        }
    }

    /// The BatchNorm running statistics after hidden layer `layer`, or nil without BatchNorm.
    ///
    ///     // mean, variance: [hidden[layer]]
    public func runningStatistics(layer: Int) -> (mean: UnsafeMutablePointer<Float>,
                                                  variance: UnsafeMutablePointer<Float>)? {
        guard let m = layers[layer].runningMean, let v = layers[layer].runningVar else { return nil }
        return (m, v)
    }

    /// `Σ‖W‖²` over the weight matrices (not biases, γ or β), each in `sumOfSquares`'
    /// fixed order and added layer by layer in Double.
    ///
    /// With a `team`, the block sums of large tensors are computed in parallel and then
    /// added in block order: the same bits as `sumOfSquares`.
    public func weightSquareSum() -> Double {
        var total: Double = 0
        for p in parameters where p.isWeight {
            let blocks = (p.count + squareSumBlock - 1) / squareSumBlock
            if let team, team.count > 1, p.count >= 2 * minimumElementsPerThread {
                squareSumJob.set(p.value, count: p.count, sums: blockSums)
                team.forEachRange(blocks, minimum: max(1, minimumElementsPerThread / squareSumBlock),
                                  squareSumJob)
                var sum: Float = 0
                for b in 0..<blocks { sum = sum + blockSums[b] }
                total += Double(sum)
            } else {
                total += Double(sumOfSquares(p.value, count: p.count))
            }
        }
        return total
    }

    /// The mask key of hidden layer `layer` at training step `step`, or nil without dropout.
    func dropoutKey(layer: Int, step: Int) -> DropoutKey? {
        guard let dropout, dropout.rate > 0 else { return nil }
        return DropoutKey(rate: dropout.rate, seed: dropout.seed,
                          stream: RandomStreams.dropout(layer: layer), step: step)
    }

    /// The L2 penalty `reg·Σ‖W‖²`.
    public func l2Penalty(reg: Double) -> Double { reg == 0 ? 0 : reg * weightSquareSum() }
}
