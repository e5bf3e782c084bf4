import HypergridKernel

/// One affine layer of a model, sliced out of ``TrainedModel/weights``:
/// `z = x·weight (+ bias)`, then for a hidden layer BatchNorm (inference form) and ReLU.
public struct LayerTensors: Sendable, Equatable {
    public var inputs: Int
    public var outputs: Int
    /// `inputs × outputs`, row-major (`x·weight`, as the kernel multiplies).
    public var weight: [Float]
    /// The bias of a layer without BatchNorm; nil before BatchNorm (β takes its role).
    public var bias: [Float]?
    public var batchNorm: BatchNormTensors?
    /// Hidden layers end with ReLU; the output layer does not.
    public var isOutput: Bool
}

/// A hidden layer's BatchNorm in inference form:
/// `y = (z − runningMean) / √(runningVariance + epsilon) · gamma + beta`.
public struct BatchNormTensors: Sendable, Equatable {
    public var gamma: [Float]
    public var beta: [Float]
    public var runningMean: [Float]
    public var runningVariance: [Float]
    /// The kernel's ε (``BatchNormDefaults/epsilon``).
    public var epsilon: Float { BatchNormDefaults.epsilon }
}

extension TrainedModel {
    /// The weights as layers, in the order of `MLP.exportState()`: per layer W then b (or γ, β),
    /// then every BatchNorm layer's running mean and variance.
    public var layers: [LayerTensors] {
        var cursor = 0
        func take(_ n: Int) -> [Float] {
            defer { cursor += n }
            return Array(weights[cursor..<(cursor + n)])
        }
        let widths = shape.widths
        var result: [LayerTensors] = []
        var pending: [(gamma: [Float], beta: [Float])?] = []
        for l in 0..<shape.layerCount {
            let (i, o) = (widths[l], widths[l + 1])
            let batchNorm = shape.batchNorm && l < shape.layerCount - 1
            let w = take(i * o)
            if batchNorm {
                let gamma = take(o), beta = take(o)
                pending.append((gamma, beta))
                result.append(LayerTensors(inputs: i, outputs: o, weight: w, bias: nil, batchNorm: nil,
                                           isOutput: false))
            } else {
                pending.append(nil)
                result.append(LayerTensors(inputs: i, outputs: o, weight: w, bias: take(o), batchNorm: nil,
                                           isOutput: l == shape.layerCount - 1))
            }
        }
        for l in 0..<shape.layerCount {
            guard let (gamma, beta) = pending[l] else { continue }
            let o = widths[l + 1]
            let mean = take(o), variance = take(o)
            result[l].batchNorm = BatchNormTensors(gamma: gamma, beta: beta, runningMean: mean, runningVariance: variance)
        }
        return result
    }
}
