// The MLP's passes. `lossAndGradients` is the fast training path (fused bias+ReLU,
// BatchNorm+ReLU and softmax+loss+gradient, no input gradient for the first layer);
// `referenceLossAndGradients` composes the plain layer functions one by one, and the
// tests require both to produce the same bits.

extension MLP {
    /// One training forward and backward pass over a batch: returns the mean softmax
    /// cross-entropy (without the L2 term) and leaves in each `parameters[k].gradient`
    /// the gradient of that data loss. The L2 gradient is added by `Optimizer.step`.
    /// BatchNorm runs in training mode and moves its running statistics.
    ///
    ///     // x: [rows × inputWidth], labels: [rows] in 0..<classCount, rows ≤ maxBatch
    public func lossAndGradients(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                 rows n: Int) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        var input = x
        for layer in layers {
            let (i, o) = (layer.inDim, layer.outDim)
            if layer.isOutput {
                // Bias is added inside the fused softmax below.
                gemm(.nn, m: n, n: o, k: i, a: input, lda: i, b: layer.w, ldb: o,
                     c: layer.z, ldc: o, accumulate: false)
            } else if layer.batchNorm {
                affineForward(y: layer.z, x: input, ldx: i, w: layer.w, b: nil,
                              n: n, inDim: i, outDim: o)
                batchNormReLUForwardTraining(a: layer.a, z: layer.z, gamma: layer.gamma!,
                                             beta: layer.beta!, mean: layer.mean!,
                                             rstd: layer.rstd!, runningMean: layer.runningMean!,
                                             runningVar: layer.runningVar!, n: n, c: o)
            } else {
                affineReLUForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b!,
                                  n: n, inDim: i, outDim: o)
            }
            input = UnsafePointer(layer.a)
        }
        let output = layers[layers.count - 1]
        let loss = softmaxCrossEntropyFused(output.z, bias: output.b!, labels: labels,
                                            n: n, c: output.outDim)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let (i, o) = (layer.inDim, layer.outDim)
            let dz: UnsafeMutablePointer<Float>
            if layer.isOutput {
                dz = layer.z
                columnSums(layer.db!, dz, rows: n, columns: o)
            } else if layer.batchNorm {
                dz = layer.delta
                reluBatchNormBackward(dz, dGamma: layer.dGamma!, dBeta: layer.dBeta!, a: layer.a,
                                      z: layer.z, mean: layer.mean!, rstd: layer.rstd!,
                                      gamma: layer.gamma!, n: n, c: o)
            } else {
                dz = layer.delta
                reluBackwardColumnSums(dz, y: layer.a, db: layer.db!, rows: n, columns: o)
            }
            affineBackward(dx: l == 0 ? nil : layers[l - 1].delta, dw: layer.dw, db: nil,
                           dy: dz, x: l == 0 ? x : UnsafePointer(layers[l - 1].a), ldx: i, w: layer.w,
                           n: n, inDim: i, outDim: o)
        }
        return loss
    }

    /// The same pass from the plain layer functions, plus the L2 term: returns
    /// `mean cross-entropy + reg·Σ‖W‖²` and leaves the gradient of that total (weights
    /// get `+ 2·reg·W`). The specification `lossAndGradients` is tested against.
    ///
    ///     // x: [rows × inputWidth], labels: [rows], rows ≤ maxBatch
    public func referenceLossAndGradients(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                          rows n: Int, reg: Double) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        var input = x
        for layer in layers {
            let (i, o) = (layer.inDim, layer.outDim)
            affineForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b,
                          n: n, inDim: i, outDim: o)
            if layer.batchNorm {
                batchNormForwardTraining(y: layer.a, z: layer.z, gamma: layer.gamma!,
                                         beta: layer.beta!, mean: layer.mean!, rstd: layer.rstd!,
                                         runningMean: layer.runningMean!,
                                         runningVar: layer.runningVar!, n: n, c: o)
            }
            if !layer.isOutput { reluForward(y: layer.a, x: layer.a, count: n * o) }
            input = UnsafePointer(layer.a)
        }
        let output = layers[layers.count - 1]
        let c = output.outDim
        softmaxCrossEntropyForward(probs: referenceProbs, losses: referenceLosses,
                                   scores: output.z, labels: labels, n: n, c: c)
        let dataLoss = meanLoss(referenceLosses, n: n)
        softmaxCrossEntropyBackward(dScores: output.z, probs: referenceProbs, labels: labels,
                                    n: n, c: c)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let (i, o) = (layer.inDim, layer.outDim)
            var dz = layer.z
            if !layer.isOutput {
                dz = layer.delta
                reluBackward(dx: dz, dy: dz, y: layer.a, count: n * o)
                if layer.batchNorm {
                    batchNormBackward(dz: dz, dGamma: layer.dGamma!, dBeta: layer.dBeta!, dy: dz,
                                      z: layer.z, mean: layer.mean!, rstd: layer.rstd!,
                                      gamma: layer.gamma!, n: n, c: o)
                }
            }
            affineBackward(dx: l == 0 ? nil : layers[l - 1].delta, dw: layer.dw, db: layer.db,
                           dy: dz, x: l == 0 ? x : UnsafePointer(layers[l - 1].a), ldx: i, w: layer.w,
                           n: n, inDim: i, outDim: o)
        }
        if reg != 0 {
            for p in parameters where p.isWeight {
                addWeightDecay(p.gradient, p.value, count: p.count, decay: Float(2 * reg))
            }
        }
        return dataLoss + l2Penalty(reg: reg)
    }

    /// Inference-mode forward (BatchNorm with running statistics) of up to `maxBatch`
    /// rows. Returns the scores, valid until the next pass.
    ///
    ///     // x: [rows × inputWidth] → scores: [rows × classCount]
    public func inferenceScores(x: UnsafePointer<Float>, rows n: Int) -> UnsafePointer<Float> {
        precondition(n > 0 && n <= maxBatch, "chunk must have 1...maxBatch rows")
        var input = x
        for layer in layers {
            let (i, o) = (layer.inDim, layer.outDim)
            if layer.batchNorm {
                affineForward(y: layer.z, x: input, ldx: i, w: layer.w, b: nil,
                              n: n, inDim: i, outDim: o)
                batchNormForwardInference(y: layer.a, z: layer.z, gamma: layer.gamma!,
                                          beta: layer.beta!, runningMean: layer.runningMean!,
                                          runningVar: layer.runningVar!,
                                          rstd: layer.inferenceRstd!, n: n, c: o)
                reluForward(y: layer.a, x: layer.a, count: n * o)
            } else if layer.isOutput {
                affineForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b,
                              n: n, inDim: i, outDim: o)
            } else {
                affineReLUForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b!,
                                  n: n, inDim: i, outDim: o)
            }
            input = UnsafePointer(layer.a)
        }
        return input
    }

    /// Predicted classes (argmax of the inference scores, first on ties) of any number of
    /// rows, evaluated in chunks of `maxBatch` rows through the same GEMM.
    ///
    ///     // x: [rows × inputWidth] → out: [rows]
    public func predict(x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Int32>) {
        var start = 0
        while start < rows {
            let n = min(maxBatch, rows - start)
            let scores = inferenceScores(x: x + start * shape.inputWidth, rows: n)
            argmaxRows(out + start, scores: scores, bias: nil, n: n, c: shape.classCount)
            start += n
        }
    }

    /// How many of `rows` rows the network classifies as their label (chunked as `predict`).
    ///
    ///     // x: [rows × inputWidth], labels: [rows]
    public func countCorrect(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                             rows: Int) -> Int {
        var correct = 0, start = 0
        while start < rows {
            let n = min(maxBatch, rows - start)
            let scores = inferenceScores(x: x + start * shape.inputWidth, rows: n)
            argmaxRows(predictions, scores: scores, bias: nil, n: n, c: shape.classCount)
            for r in 0..<n where predictions[r] == labels[start + r] { correct += 1 }
            start += n
        }
        return correct
    }
}
