// What a GEMM does to each block of C it has computed, before the block leaves the
// core's cache: the rest of the layer. Each case runs the same expressions, in the
// same order per element (and per column, for the sums), as the plain layer
// functions named below, so results are unchanged (tested in MLPTests/MLPTeamTests).

/// A layer's work on a finished block of a GEMM's C (see `gemm(…finish:)`).
enum GEMMFinish {
    case none
    /// `C = max(C + b, 0)`: hidden affine + ReLU forward (``affineReLUForward(y:x:ldx:w:b:n:inDim:outDim:)``).
    case biasReLU(UnsafePointer<Float>)
    /// `C = C + b`: the output layer's inference scores (``addRowVector(_:_:rows:columns:)``).
    case addBias(UnsafePointer<Float>)
    /// C is ∂loss/∂A of a plain hidden layer whose output was `a`: mask by `a > 0` and
    /// sum the masked columns into `db` in row order (``reluBackwardColumnSums(_:y:db:rows:columns:)``).
    /// Needs a columns-only split.
    case reluColumnSums(a: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>)
    /// C is ∂loss/∂A of a hidden layer with BatchNorm: ReLU mask, dγ, dβ and ∂loss/∂Z
    /// (``reluBatchNormBackward(_:dGamma:dBeta:a:z:mean:rstd:gamma:n:c:)``). Needs a columns-only split.
    case reluBatchNormBackward(LayerBuffers)
    /// ``reluColumnSums(a:db:)`` of a layer with dropout: `a` is the activation after
    /// dropout, kept elements' gradients are scaled (``reluDropoutBackwardColumnSums(_:y:db:scale:rows:columns:ld:)``).
    case reluDropoutColumnSums(a: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>, scale: Float)
    /// ``reluBatchNormBackward(_:)`` of a layer with dropout
    /// (``reluDropoutBatchNormBackward(_:dGamma:dBeta:a:z:mean:rstd:gamma:scale:n:c:ld:)``).
    case reluDropoutBatchNormBackward(LayerBuffers, scale: Float)
    /// C is Z of a hidden layer with BatchNorm in inference mode: `A = max(BN(Z), 0)`
    /// with the running statistics and `inferenceRstd` already computed
    /// (``batchNormForwardInference(y:z:gamma:beta:runningMean:runningVar:rstd:n:c:epsilon:)`` then ReLU).
    case batchNormReLUInference(LayerBuffers)

    /// Applies the finish to rows × columns of C (row stride `ldc`; `allRows` rows in all).
    @inline(__always)
    func apply(_ c: UnsafeMutablePointer<Float>, ldc: Int, allRows: Int,
               rows: Range<Int>, columns: Range<Int>) {
        let j = columns.lowerBound
        switch self {
        case .none:
            break
        case .biasReLU(let b):
            HypergridKernel.biasReLU(c, ld: ldc, b, rows: rows, columns: columns)
        case .addBias(let b):
            for i in rows {
                let row = c + i * ldc
                for j in columns { row[j] = row[j] + b[j] }
            }
        case .reluColumnSums(let a, let db):
            assert(rows == 0..<allRows, "column sums need a columns-only split")
            reluBackwardColumnSums(c + j, y: a + j, db: db + j, rows: allRows,
                                   columns: columns.count, ld: ldc)
        case .reluBatchNormBackward(let l):
            assert(rows == 0..<allRows, "column sums need a columns-only split")
            HypergridKernel.reluBatchNormBackward(c + j, dGamma: l.dGamma! + j, dBeta: l.dBeta! + j,
                                                  a: l.a + j,
                                                  z: l.z + j, mean: l.mean! + j, rstd: l.rstd! + j,
                                                  gamma: l.gamma! + j, n: allRows, c: columns.count,
                                                  ld: ldc)
        case .reluDropoutColumnSums(let a, let db, let scale):
            assert(rows == 0..<allRows, "column sums need a columns-only split")
            reluDropoutBackwardColumnSums(c + j, y: a + j, db: db + j, scale: scale, rows: allRows,
                                          columns: columns.count, ld: ldc)
        case .reluDropoutBatchNormBackward(let l, let scale):
            assert(rows == 0..<allRows, "column sums need a columns-only split")
            HypergridKernel.reluDropoutBatchNormBackward(c + j, dGamma: l.dGamma! + j, dBeta: l.dBeta! + j, a: l.a + j,
                                         z: l.z + j, mean: l.mean! + j, rstd: l.rstd! + j,
                                         gamma: l.gamma! + j, scale: scale, n: allRows,
                                         c: columns.count, ld: ldc)
        case .batchNormReLUInference(let l):
            HypergridKernel.batchNormReLUInference(a: l.a, z: c, ld: ldc, gamma: l.gamma!,
                                                   beta: l.beta!, runningMean: l.runningMean!,
                                                   rstd: l.inferenceRstd!, rows: rows,
                                                   columns: columns)
        }
    }
}
