// The MLP's passes. `lossAndGradients` is the fast training path (fused bias+ReLU,
// BatchNorm+ReLU and softmax+loss+gradient or bias+squared error+gradient, no input
// gradient for the first layer);
// `referenceLossAndGradients` composes the plain layer functions one by one, and the
// tests require both to produce the same bits.

extension MLP {
    /// One training forward and backward pass over a batch: returns the mean softmax
    /// cross-entropy (against label-smoothed targets when `labelSmoothing` > 0, against
    /// MixUp's mixed targets when `mixUp` is given; without the L2 term) and leaves in each
    /// `parameters[k].gradient` the gradient of that data loss. The L2 gradient is added by
    /// `Optimizer.step`. BatchNorm runs in training mode and moves its running statistics.
    /// With `dropout`, the masks are those of training step `step` (the iteration), the same
    /// on any worker.
    ///
    ///     // x: [rows × inputWidth] (with MixUp: the mixed rows), labels: [rows] in
    ///     // 0..<classCount, rows ≤ maxBatch
    public func lossAndGradients(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                 rows n: Int, step: Int = 0, mixUp: MixUpTargets? = nil) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        precondition(shape.loss == .softmaxCrossEntropy, "class labels need a softmax cross-entropy network")
        trainingForward(x: x, rows: n, step: step)
        let output = layers[layers.count - 1]
        let loss: Double
        if let mixUp {
            loss = softmaxCrossEntropyMixedFused(output.z, bias: output.b!, labels: labels,
                                                 partners: mixUp.partnerLabels, n: n, c: output.outDim,
                                                 lambda: mixUp.lambda, smoothing: labelSmoothing)
        } else if labelSmoothing > 0 {
            loss = softmaxCrossEntropySmoothedFused(output.z, bias: output.b!, labels: labels, n: n,
                                                    c: output.outDim, smoothing: labelSmoothing)
        } else {
            loss = softmaxCrossEntropyFused(output.z, bias: output.b!, labels: labels, n: n, c: output.outDim)
        }
        trainingBackward(x: x, rows: n, step: step)
        return loss
    }

    /// The regression counterpart of ``lossAndGradients(x:labels:rows:step:)``: returns the
    /// mean squared error of the outputs against `targets` (without the L2 term) and leaves
    /// its gradient, through the same fast passes.
    ///
    ///     // x: [rows × inputWidth], targets: [rows × classCount], rows ≤ maxBatch
    public func lossAndGradients(x: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                 rows n: Int, step: Int = 0) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        precondition(shape.loss == .meanSquaredError, "float targets need a mean-squared-error network")
        trainingForward(x: x, rows: n, step: step)
        let output = layers[layers.count - 1]
        let loss = meanSquaredErrorFused(output.z, bias: output.b!, targets: targets, n: n, k: output.outDim)
        trainingBackward(x: x, rows: n, step: step)
        return loss
    }

    /// The fast training forward up to the output layer's raw scores `X·W` (its bias is
    /// added by the fused loss).
    private func trainingForward(x: UnsafePointer<Float>, rows n: Int, step: Int) {
        var input = x
        for (l, layer) in layers.enumerated() {
            let (i, o) = (layer.inDim, layer.outDim)
            if layer.isOutput {
                // Bias is added inside the fused softmax below.
                gemm(.nn, m: n, n: o, k: i, a: input, lda: i, b: layer.w, ldb: o,
                     c: layer.z, ldc: o, accumulate: false, team: team)
            } else if layer.batchNorm {
                gemm(.nn, m: n, n: o, k: i, a: input, lda: i, b: layer.w, ldb: o,
                     c: layer.z, ldc: o, accumulate: false, team: team)
                // Statistics run down columns: split by columns, each in row order.
                batchNormJob.set(layer, rows: n)
                if let team, team.count > 1, n * o >= 2 * minimumElementsPerThread {
                    team.forEachRange(o, unit: 16, minimum: max(16, minimumElementsPerThread / n),
                                      batchNormJob)
                } else {
                    batchNormJob.run(range: 0..<o)
                }
            } else {
                affineReLUForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b!,
                                  n: n, inDim: i, outDim: o, team: team)
            }
            if !layer.isOutput, let key = dropoutKey(layer: l, step: step) {
                // Rows are independent and every element draws its own word: any split.
                dropoutJob.set(layer.a, columns: o, key: key)
                if let team, team.count > 1, n * o >= 2 * minimumElementsPerThread {
                    team.forEachRange(n, minimum: max(1, minimumElementsPerThread / o), dropoutJob)
                } else {
                    dropoutJob.run(range: 0..<n)
                }
            }
            input = UnsafePointer(layer.a)
        }
    }

    /// The fast backward from the dScores the fused loss left in the output layer's `z`.
    private func trainingBackward(x: UnsafePointer<Float>, rows n: Int, step: Int) {
        let output = layers[layers.count - 1]
        columnSums(output.db!, output.z, rows: n, columns: output.outDim)
        // Each hidden layer's ReLU (and BatchNorm) backward runs as the `finish` of the
        // GEMM that produces its ∂loss/∂a (the layer above's input gradient), on the
        // thread that computed each block of columns.
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let (i, o) = (layer.inDim, layer.outDim)
            let dz = UnsafePointer(layer.isOutput ? layer.z : layer.delta)
            let below = l == 0 ? x : UnsafePointer(layers[l - 1].a)
            gemm(.tn, m: i, n: o, k: n, a: below, lda: i, b: dz, ldb: o,
                 c: layer.dw, ldc: o, accumulate: false, team: team)
            guard l > 0 else { break }
            let prev = layers[l - 1]
            let finish: GEMMFinish
            if let key = dropoutKey(layer: l - 1, step: step) {
                finish = prev.batchNorm ? .reluDropoutBatchNormBackward(prev, scale: key.scale)
                                        : .reluDropoutColumnSums(a: prev.a, db: prev.db!, scale: key.scale)
            } else {
                finish = prev.batchNorm ? .reluBatchNormBackward(prev)
                                        : .reluColumnSums(a: prev.a, db: prev.db!)
            }
            gemm(.nt, m: n, n: i, k: o, a: dz, lda: o, b: layer.w, ldb: o,
                 c: prev.delta, ldc: i, accumulate: false, team: team, columnsOnly: true,
                 finish: finish)
        }
    }

    /// The same pass from the plain layer functions, plus the L2 term: returns
    /// `mean cross-entropy + reg·Σ‖W‖²` and leaves the gradient of that total (weights
    /// get `+ 2·reg·W`). The specification `lossAndGradients` is tested against. With
    /// `dropout`, each hidden layer's mask is drawn whole (``dropoutMask``) and applied after
    /// its ReLU (``dropoutForward``, ``dropoutBackward``); the masks are allocated per call.
    ///
    ///     // x: [rows × inputWidth], labels: [rows], rows ≤ maxBatch
    public func referenceLossAndGradients(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                          rows n: Int, reg: Double, step: Int = 0,
                                          mixUp: MixUpTargets? = nil) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        precondition(shape.loss == .softmaxCrossEntropy, "class labels need a softmax cross-entropy network")
        let masks = referenceForward(x: x, rows: n, step: step)
        let output = layers[layers.count - 1]
        let c = output.outDim
        if let mixUp {
            softmaxCrossEntropyMixedForward(probs: referenceProbs, losses: referenceLosses, scores: output.z,
                                            labels: labels, partners: mixUp.partnerLabels, n: n, c: c,
                                            lambda: mixUp.lambda, smoothing: labelSmoothing)
        } else if labelSmoothing > 0 {
            softmaxCrossEntropySmoothedForward(probs: referenceProbs, losses: referenceLosses, scores: output.z,
                                               labels: labels, n: n, c: c, smoothing: labelSmoothing)
        } else {
            softmaxCrossEntropyForward(probs: referenceProbs, losses: referenceLosses,
                                       scores: output.z, labels: labels, n: n, c: c)
        }
        let dataLoss = meanLoss(referenceLosses, n: n)
        if let mixUp {
            softmaxCrossEntropyMixedBackward(dScores: output.z, probs: referenceProbs, labels: labels,
                                             partners: mixUp.partnerLabels, n: n, c: c,
                                             lambda: mixUp.lambda, smoothing: labelSmoothing)
        } else if labelSmoothing > 0 {
            softmaxCrossEntropySmoothedBackward(dScores: output.z, probs: referenceProbs, labels: labels,
                                                n: n, c: c, smoothing: labelSmoothing)
        } else {
            softmaxCrossEntropyBackward(dScores: output.z, probs: referenceProbs, labels: labels,
                                        n: n, c: c)
        }
        referenceBackward(x: x, rows: n, masks: masks, reg: reg)
        return dataLoss + l2Penalty(reg: reg)
    }

    /// The regression counterpart of ``referenceLossAndGradients(x:labels:rows:reg:step:)``:
    /// `mean squared error + reg·Σ‖W‖²` and its gradient, from the plain layer functions.
    ///
    ///     // x: [rows × inputWidth], targets: [rows × classCount], rows ≤ maxBatch
    public func referenceLossAndGradients(x: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                          rows n: Int, reg: Double, step: Int = 0) -> Double {
        precondition(n > 0 && n <= maxBatch, "batch must have 1...maxBatch rows")
        precondition(shape.loss == .meanSquaredError, "float targets need a mean-squared-error network")
        let masks = referenceForward(x: x, rows: n, step: step)
        let output = layers[layers.count - 1]
        let k = output.outDim
        meanSquaredErrorForward(losses: referenceLosses, predictions: output.z, targets: targets, n: n, k: k)
        let dataLoss = meanLoss(referenceLosses, n: n)
        meanSquaredErrorBackward(dPredictions: output.z, predictions: output.z, targets: targets, n: n, k: k)
        referenceBackward(x: x, rows: n, masks: masks, reg: reg)
        return dataLoss + l2Penalty(reg: reg)
    }

    /// The plain training forward to the output layer's scores (with bias); returns each
    /// hidden layer's dropout mask (nil without dropout).
    private func referenceForward(x: UnsafePointer<Float>, rows n: Int, step: Int) -> [[Float]?] {
        var input = x
        var masks: [[Float]?] = []
        for (l, layer) in layers.enumerated() {
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
            if !layer.isOutput, let key = dropoutKey(layer: l, step: step) {
                var mask = [Float](repeating: 0, count: n * o)
                mask.withUnsafeMutableBufferPointer { dropoutMask($0.baseAddress!, count: n * o, key: key) }
                dropoutForward(y: layer.a, x: layer.a, mask: mask, count: n * o)
                masks.append(mask)
            } else {
                masks.append(nil)
            }
            input = UnsafePointer(layer.a)
        }
        return masks
    }

    /// The plain backward from the dScores in the output layer's `z`, plus the L2 gradient.
    private func referenceBackward(x: UnsafePointer<Float>, rows n: Int, masks: [[Float]?], reg: Double) {
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let (i, o) = (layer.inDim, layer.outDim)
            var dz = layer.z
            if !layer.isOutput {
                dz = layer.delta
                if let mask = masks[l] { dropoutBackward(dx: dz, dy: dz, mask: mask, count: n * o) }
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
    }

    /// Inference-mode forward (BatchNorm with running statistics) of up to `maxBatch`
    /// rows. Returns the scores, valid until the next pass. Same bits as composing
    /// `affineForward`, `batchNormForwardInference` and `reluForward` (tested).
    ///
    ///     // x: [rows × inputWidth] → scores: [rows × classCount]
    public func inferenceScores(x: UnsafePointer<Float>, rows n: Int) -> UnsafePointer<Float> {
        precondition(n > 0 && n <= maxBatch, "chunk must have 1...maxBatch rows")
        var input = x
        for layer in layers {
            let (i, o) = (layer.inDim, layer.outDim)
            if layer.batchNorm {
                let rstd = layer.inferenceRstd!, runningVar = layer.runningVar!
                let epsilon = BatchNormDefaults.epsilon
                for j in 0..<o { rstd[j] = 1 / (runningVar[j] + epsilon).squareRoot() }
                gemm(.nn, m: n, n: o, k: i, a: input, lda: i, b: layer.w, ldb: o,
                     c: layer.z, ldc: o, accumulate: false, team: team,
                     finish: .batchNormReLUInference(layer))
            } else if layer.isOutput {
                gemm(.nn, m: n, n: o, k: i, a: input, lda: i, b: layer.w, ldb: o,
                     c: layer.z, ldc: o, accumulate: false, team: team, finish: .addBias(layer.b!))
            } else {
                affineReLUForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b!,
                                  n: n, inDim: i, outDim: o, team: team)
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

    /// Predicted values (the inference outputs) of any number of rows, evaluated in chunks
    /// of `maxBatch` rows through the same GEMM: the regression counterpart of `predict`.
    ///
    ///     // x: [rows × inputWidth] → out: [rows × classCount]
    public func predictValues(x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let k = shape.classCount
        var start = 0
        while start < rows {
            let n = min(maxBatch, rows - start)
            let scores = inferenceScores(x: x + start * shape.inputWidth, rows: n)
            (out + start * k).update(from: scores, count: n * k)
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

/// Training-mode BatchNorm + ReLU forward over blocks of columns (statistics down each
/// column in row order, so any column split gives the same bits).
final class BatchNormForwardJob: RangeJob {
    private var layer: LayerBuffers? = nil
    private var rows = 0

    func set(_ layer: LayerBuffers, rows: Int) {
        self.layer = layer
        self.rows = rows
    }

    override func run(range: Range<Int>) {
        let l = layer!, j = range.lowerBound
        batchNormReLUForwardTraining(a: l.a + j, z: l.z + j, gamma: l.gamma! + j, beta: l.beta! + j,
                                     mean: l.mean! + j, rstd: l.rstd! + j,
                                     runningMean: l.runningMean! + j, runningVar: l.runningVar! + j,
                                     n: rows, c: range.count, ld: layer!.outDim)
    }
}
