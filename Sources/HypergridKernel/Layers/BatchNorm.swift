// BatchNorm1d over the batch dimension, as PyTorch's `nn.BatchNorm1d(C)` on [N × C] input:
//   training:  normalise with the batch mean and the *biased* batch variance, and move the
//              running statistics by `momentum` towards the batch mean and the *unbiased*
//              batch variance;
//   inference: normalise with the running statistics.
// Every per-column sum runs over rows 0..<N in order (a fixed chain), so results are
// bit-reproducible. xhat is recomputed in the backward pass from Z, mean and rstd with
// exactly the forward's expression instead of being stored.

/// PyTorch's defaults.
public enum BatchNormDefaults {
    public static let momentum: Float = 0.1
    public static let epsilon: Float = 1e-5
}

/// Training-mode forward.
///
///     // Z: [N × C] input, Y: [N × C] output = γ·(Z − mean)·rstd + β
///     // gamma, beta: [C]; mean, rstd: [C] saved for the backward pass
///     // runningMean, runningVar: [C], updated in place
public func batchNormForwardTraining(y: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
                                     gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                     mean: UnsafeMutablePointer<Float>,
                                     rstd: UnsafeMutablePointer<Float>,
                                     runningMean: UnsafeMutablePointer<Float>,
                                     runningVar: UnsafeMutablePointer<Float>,
                                     n: Int, c: Int,
                                     momentum: Float = BatchNormDefaults.momentum,
                                     epsilon: Float = BatchNormDefaults.epsilon) {
    batchStatistics(z: z, mean: mean, rstd: rstd, runningMean: runningMean,
                    runningVar: runningVar, n: n, c: c, momentum: momentum, epsilon: epsilon)
    for i in 0..<n {
        let zr = z + i * c, yr = y + i * c
        for j in 0..<c { yr[j] = (zr[j] - mean[j]) * rstd[j] * gamma[j] + beta[j] }
    }
}

/// Batch mean and `rstd = 1/sqrt(biased var + ε)`, and the running-statistics update.
/// With one row the unbiased variance is undefined (PyTorch refuses to train); the
/// biased one (0) is used for the running update instead.
/// `ld` is the row stride of Z: a block of `c` columns of a wider matrix works too.
@inline(__always)
func batchStatistics(z: UnsafePointer<Float>, mean: UnsafeMutablePointer<Float>,
                     rstd: UnsafeMutablePointer<Float>, runningMean: UnsafeMutablePointer<Float>,
                     runningVar: UnsafeMutablePointer<Float>, n: Int, c: Int, ld: Int? = nil,
                     momentum: Float, epsilon: Float) {
    let ld = ld ?? c
    // Two passes (mean, then squared deviations) rather than Σx² − (Σx)²/N, which
    // cancels catastrophically for features far from zero.
    columnSums(mean, z, rows: n, columns: c, ld: ld)
    let invN = 1 / Float(n)
    for j in 0..<c { mean[j] = mean[j] * invN }
    rstd.update(repeating: 0, count: c)   // holds Σ(z − mean)² until the last loop
    for i in 0..<n {
        let zr = z + i * ld
        for j in 0..<c {
            let d = zr[j] - mean[j]
            rstd[j] = rstd[j] + d * d
        }
    }
    let unbias = n > 1 ? Float(n) / Float(n - 1) : 1
    let keep = 1 - momentum
    for j in 0..<c {
        let variance = rstd[j] * invN
        runningMean[j] = keep * runningMean[j] + momentum * mean[j]
        runningVar[j] = keep * runningVar[j] + momentum * (variance * unbias)
        rstd[j] = 1 / (variance + epsilon).squareRoot()
    }
}

/// Inference-mode forward with the running statistics.
///
///     // Z, Y: [N × C]; gamma, beta, runningMean, runningVar: [C]
///     // rstd: [C] scratch, receives 1/sqrt(runningVar + ε)
public func batchNormForwardInference(y: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
                                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                      runningMean: UnsafePointer<Float>,
                                      runningVar: UnsafePointer<Float>,
                                      rstd: UnsafeMutablePointer<Float>, n: Int, c: Int,
                                      epsilon: Float = BatchNormDefaults.epsilon) {
    for j in 0..<c { rstd[j] = 1 / (runningVar[j] + epsilon).squareRoot() }
    for i in 0..<n {
        let zr = z + i * c, yr = y + i * c
        for j in 0..<c { yr[j] = (zr[j] - runningMean[j]) * rstd[j] * gamma[j] + beta[j] }
    }
}

/// Training-mode backward (through the batch statistics).
///
///     // dY, Z: [N × C]; mean, rstd, gamma: [C] from the forward pass
///     // dZ: [N × C] (may alias dY); dGamma = Σ_i dY·xhat, dBeta = Σ_i dY: [C]
///     // dZ = γ·rstd/N · (N·dY − dBeta − xhat·dGamma)
public func batchNormBackward(dz: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
                              dBeta: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                              z: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                              rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                              n: Int, c: Int) {
    dGamma.update(repeating: 0, count: c)
    dBeta.update(repeating: 0, count: c)
    for i in 0..<n {
        let zr = z + i * c, gr = dy + i * c
        for j in 0..<c {
            let xhat = (zr[j] - mean[j]) * rstd[j]
            dBeta[j] = dBeta[j] + gr[j]
            dGamma[j] = dGamma[j] + gr[j] * xhat
        }
    }
    batchNormInputGradient(dz: dz, dGamma: dGamma, dBeta: dBeta, dy: dy, z: z, mean: mean,
                           rstd: rstd, gamma: gamma, n: n, c: c)
}

/// The second pass of the backward: dZ from dY and the column sums.
@inline(__always)
func batchNormInputGradient(dz: UnsafeMutablePointer<Float>, dGamma: UnsafePointer<Float>,
                            dBeta: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                            z: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                            rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                            n: Int, c: Int, ld: Int? = nil) {
    let ld = ld ?? c
    let fn = Float(n)
    let invN = 1 / fn
    for i in 0..<n {
        let zr = z + i * ld, gr = dy + i * ld, dr = dz + i * ld
        for j in 0..<c {
            let xhat = (zr[j] - mean[j]) * rstd[j]
            let scale = gamma[j] * rstd[j] * invN
            dr[j] = scale * (fn * gr[j] - dBeta[j] - xhat * dGamma[j])
        }
    }
}

// MARK: - Fused fast paths

/// Fused training-mode BatchNorm + ReLU forward: `A = max(BN(Z), 0)` in one output pass.
/// Bit-identical to `batchNormForwardTraining` then `reluForward`.
///
///     // Z, A: [N × C]; gamma, beta, mean, rstd, runningMean, runningVar: [C]
public func batchNormReLUForwardTraining(a: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
                                         gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                         mean: UnsafeMutablePointer<Float>,
                                         rstd: UnsafeMutablePointer<Float>,
                                         runningMean: UnsafeMutablePointer<Float>,
                                         runningVar: UnsafeMutablePointer<Float>,
                                         n: Int, c: Int,
                                         momentum: Float = BatchNormDefaults.momentum,
                                         epsilon: Float = BatchNormDefaults.epsilon) {
    batchNormReLUForwardTraining(a: a, z: z, gamma: gamma, beta: beta, mean: mean, rstd: rstd,
                                 runningMean: runningMean, runningVar: runningVar, n: n, c: c,
                                 ld: c, momentum: momentum, epsilon: epsilon)
}

/// ``batchNormReLUForwardTraining(a:z:gamma:beta:mean:rstd:runningMean:runningVar:n:c:momentum:epsilon:)``
/// of a block of `c` columns of matrices with row stride `ld` (all rows: the
/// statistics run down each column in row order, whatever the block).
@inline(__always)
func batchNormReLUForwardTraining(a: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
                                  gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                  mean: UnsafeMutablePointer<Float>,
                                  rstd: UnsafeMutablePointer<Float>,
                                  runningMean: UnsafeMutablePointer<Float>,
                                  runningVar: UnsafeMutablePointer<Float>,
                                  n: Int, c: Int, ld: Int,
                                  momentum: Float = BatchNormDefaults.momentum,
                                  epsilon: Float = BatchNormDefaults.epsilon) {
    batchStatistics(z: z, mean: mean, rstd: rstd, runningMean: runningMean,
                    runningVar: runningVar, n: n, c: c, ld: ld, momentum: momentum, epsilon: epsilon)
    for i in 0..<n {
        let zr = z + i * ld, ar = a + i * ld
        for j in 0..<c { ar[j] = max((zr[j] - mean[j]) * rstd[j] * gamma[j] + beta[j], 0) }
    }
}

/// Fused ReLU + BatchNorm backward: masks `dA` by `A > 0` and accumulates dγ, dβ in the
/// same pass, then writes dZ. Bit-identical to `reluBackward` then `batchNormBackward`.
///
///     // dA (in) / dZ (out): [N × C] in place; A, Z: [N × C]; dGamma, dBeta: [C]
public func reluBatchNormBackward(_ d: UnsafeMutablePointer<Float>,
                                  dGamma: UnsafeMutablePointer<Float>,
                                  dBeta: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                                  z: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                  rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                  n: Int, c: Int) {
    reluBatchNormBackward(d, dGamma: dGamma, dBeta: dBeta, a: a, z: z, mean: mean, rstd: rstd,
                          gamma: gamma, n: n, c: c, ld: c)
}

/// ``reluBatchNormBackward(_:dGamma:dBeta:a:z:mean:rstd:gamma:n:c:)`` of a block of `c`
/// columns of matrices with row stride `ld` (all rows, in row order): the dropout variant with
/// `scale` 1, which multiplies by exactly 1 (`x · 1 == x` in IEEE arithmetic, and the constant
/// folds away when inlined), so one loop serves both.
@inline(__always)
func reluBatchNormBackward(_ d: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
                           dBeta: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                           z: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                           rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                           n: Int, c: Int, ld: Int) {
    reluDropoutBatchNormBackward(d, dGamma: dGamma, dBeta: dBeta, a: a, z: z, mean: mean, rstd: rstd,
                                 gamma: gamma, scale: 1, n: n, c: c, ld: ld)
}

/// Inference-mode BatchNorm + ReLU on a block of rows and columns (row stride `ld`):
/// `A = max((Z − runningMean)·rstd·γ + β, 0)` with `rstd` already computed, the same
/// expression as ``batchNormForwardInference(y:z:gamma:beta:runningMean:runningVar:rstd:n:c:epsilon:)``
/// followed by ``reluForward(y:x:count:)``.
@inline(__always)
func batchNormReLUInference(a: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, ld: Int,
                            gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                            runningMean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                            rows: Range<Int>, columns: Range<Int>) {
    for i in rows {
        let zr = z + i * ld, ar = a + i * ld
        for j in columns { ar[j] = max((zr[j] - runningMean[j]) * rstd[j] * gamma[j] + beta[j], 0) }
    }
}
