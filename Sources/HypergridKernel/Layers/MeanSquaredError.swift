// Mean squared error over the batch and its gradient: the regression output layer.
//
// The loss is the mean over all N·K entries of (prediction − target)², K target columns
// (PyTorch's `MSELoss()`; scikit-learn's `squared_error` is half of it). Each row's loss is
// its K squares added left to right in Float, divided by K; the batch loss is the row
// losses added in row order in Double, divided by N (``meanLoss(_:n:)``, as for the
// cross-entropy). The gradient is `2·(p − t) / (N·K)` with the scale computed once.
//
// As for the softmax cross-entropy, the plain pair (forward writing per-row losses from
// finished predictions, backward reading them) is the specification, and
// `meanSquaredErrorFused` adds the output bias, computes the loss and overwrites the raw
// scores with the gradient in place, the same arithmetic in one pass, bit-identical
// (tested). Everything runs on the calling thread: the output is N·K floats, far too few
// to split, and the bits then cannot depend on a team.

/// Plain forward: per-row losses `(Σ_j (p − t)²) / K`.
///
///     // predictions, targets: [N × K]; losses: [N]
public func meanSquaredErrorForward(losses: UnsafeMutablePointer<Float>,
                                    predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                    n: Int, k: Int) {
    let invK = 1 / Float(k)
    for i in 0..<n {
        let p = predictions + i * k, t = targets + i * k
        var sum: Float = 0
        for j in 0..<k {
            let d = p[j] - t[j]
            sum = sum + d * d
        }
        losses[i] = sum * invK
    }
}

/// Plain backward: `dPredictions = 2·(p − t) / (N·K)`.
///
///     // predictions, targets, dPredictions: [N × K] (dPredictions may alias predictions)
public func meanSquaredErrorBackward(dPredictions: UnsafeMutablePointer<Float>,
                                     predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                     n: Int, k: Int) {
    let scale = 2 / Float(n * k)
    for e in 0..<(n * k) { dPredictions[e] = (predictions[e] - targets[e]) * scale }
}

/// Fused output layer: adds the bias to the raw scores, computes the mean squared error and
/// overwrites the scores with `dScores = 2·(p − t) / (N·K)`. Bit-identical to
/// `addRowVector`, `meanSquaredErrorForward`, `meanLoss`, `meanSquaredErrorBackward`.
///
///     // scores: [N × K] in: X·W (without bias), out: dScores; bias: [K]; targets: [N × K]
///     // returns the mean loss over the N rows
public func meanSquaredErrorFused(_ scores: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                  targets: UnsafePointer<Float>, n: Int, k: Int) -> Double {
    let invK = 1 / Float(k)
    let scale = 2 / Float(n * k)
    var total: Double = 0
    for i in 0..<n {
        let s = scores + i * k, t = targets + i * k
        var sum: Float = 0
        for j in 0..<k {
            let d = (s[j] + bias[j]) - t[j]
            sum = sum + d * d
            s[j] = d * scale
        }
        total += Double(sum * invK)
    }
    return total / Double(n)
}
