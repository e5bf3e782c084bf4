import Testing
@testable import HypergridKernel

/// The fast passes on a thread team give the bits of the plain layer composition on one
/// thread: shapes big enough that every GEMM, column pass and update is really split.
@Suite struct MLPTeamTests {
    static let shapes: [MLPShape] = [
        MLPShape(inputWidth: 203, hidden: [256], classCount: 10, batchNorm: false),
        MLPShape(inputWidth: 203, hidden: [256, 136, 40], classCount: 10, batchNorm: true),
        MLPShape(inputWidth: 99, hidden: [300, 72], classCount: 7, batchNorm: false),
    ]

    @Test(arguments: 0..<3, [2, 3])
    func teamTrainingStepsMatchReference(shapeIndex: Int, threads: Int) {
        let shape = Self.shapes[shapeIndex]
        let n = 200
        let fast = MLP(shape: shape, maxBatch: n), plain = MLP(shape: shape, maxBatch: n)
        fast.initialize(.he, seed: 7)
        plain.initialize(.he, seed: 7)
        let team = ThreadTeam(threads: threads)
        fast.team = team
        let of = Optimizer(rule: .adamDefaults, parameters: fast.parameters)
        let op = Optimizer(rule: .adamDefaults, parameters: plain.parameters)
        for step in 0..<3 {
            let x = gaussianArray(n * shape.inputWidth, seed: 40 + UInt64(step)).floats
            let labels = labelsArray(n, classes: shape.classCount, seed: 60 + UInt64(step))
            let lf = fast.lossAndGradients(x: x, labels: labels, rows: n)
            let lp = plain.referenceLossAndGradients(x: x, labels: labels, rows: n, reg: 0)
            #expect(lf == lp)
            #expect(fast.gradientValues == plain.gradientValues, "step \(step)")
            of.step(learningRate: 1e-3, reg: 0, team: team)
            op.referenceStep(learningRate: 1e-3, reg: 0)
        }
        #expect(fast.parameterValues == plain.parameterValues)
        // Inference (running statistics, bias and ReLU in the GEMM's finish) on a team
        // equals the plain layer functions on one thread, chunk by chunk.
        let rows = 450
        let x = gaussianArray(rows * shape.inputWidth, seed: 80).floats
        var teamPredictions = [Int32](repeating: -1, count: rows)
        fast.predict(x: x, rows: rows, into: &teamPredictions)
        #expect(teamPredictions == plainPredictions(plain, x: x, rows: rows))
    }

    /// argmax of the inference forward composed from the plain layer functions.
    private func plainPredictions(_ net: MLP, x: [Float], rows: Int) -> [Int32] {
        var out = [Int32](repeating: -1, count: rows)
        x.withUnsafeBufferPointer { xp in
            var start = 0
            while start < rows {
                let n = min(net.maxBatch, rows - start)
                var input = xp.baseAddress! + start * net.shape.inputWidth
                for layer in net.layers {
                    let (i, o) = (layer.inDim, layer.outDim)
                    affineForward(y: layer.z, x: input, ldx: i, w: layer.w, b: layer.b,
                                  n: n, inDim: i, outDim: o)
                    if layer.batchNorm {
                        batchNormForwardInference(y: layer.a, z: layer.z, gamma: layer.gamma!,
                                                  beta: layer.beta!, runningMean: layer.runningMean!,
                                                  runningVar: layer.runningVar!,
                                                  rstd: layer.inferenceRstd!, n: n, c: o)
                    }
                    if !layer.isOutput { reluForward(y: layer.a, x: layer.a, count: n * o) }
                    input = UnsafePointer(layer.a)
                }
                out.withUnsafeMutableBufferPointer {
                    argmaxRows($0.baseAddress! + start, scores: input, bias: nil, n: n,
                               c: net.shape.classCount)
                }
                start += n
            }
        }
        return out
    }
}
