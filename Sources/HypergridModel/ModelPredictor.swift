import HypergridData
import HypergridKernel
import HypergridPreprocessing

/// A model's batched forward pass for prediction, in inference mode (BatchNorm with its
/// running statistics, no dropout): standardisation, PCA projection, the network through the
/// kernel's GEMM, then softmax probabilities (classification) or the targets' own scale
/// (regression). Rows are processed in chunks of `batchRows` through buffers allocated once.
///
/// Not thread-safe: one predictor per thread.
public final class ModelPredictor {
    public let model: TrainedModel
    /// Rows per chunk.
    public let batchRows: Int
    let net: MLP
    /// [batchRows × featureCount]: the chunk being standardised.
    let staged: FloatStorage
    /// [batchRows × components]: its PCA projection (nil without PCA).
    let projected: FloatStorage?
    let zeroLabels: [Int32]

    /// Builds the network and its buffers; `threads` > 1 shares every GEMM of a chunk.
    public init(model: TrainedModel, batchRows: Int = 1024, threads: Int = 1) {
        precondition(model.inconsistency == nil, "a predictor needs a consistent model")
        self.model = model
        let rows = max(1, batchRows)
        self.batchRows = rows
        net = MLP(shape: model.shape, maxBatch: rows)
        net.restoreState(model.weights)
        if threads > 1 { net.team = ThreadTeam(threads: threads) }
        staged = FloatStorage(zeroedCount: rows * model.featureCount)
        projected = model.projection.map { FloatStorage(zeroedCount: rows * $0.components) }
        zeroLabels = [Int32](repeating: 0, count: rows)
    }

    /// Outputs per row: class probabilities or regression targets.
    public var outputCount: Int { model.outputCount }

    /// Predicts `rows` rows of encoded features (the raw rows after column encoding).
    ///
    ///     // features: [rows × featureCount] → outputs: [rows × outputCount]
    ///     // classes (classification only): [rows], argmax of the scores, first on ties
    ///
    /// The class is the argmax of the network's scores, as the trainer's accuracies count it.
    public func predict(features: UnsafePointer<Float>, rows: Int, outputs: UnsafeMutablePointer<Float>,
                        classes: UnsafeMutablePointer<Int32>? = nil) {
        let d = model.featureCount, c = outputCount
        var start = 0
        while start < rows {
            let n = min(batchRows, rows - start)
            staged.base.update(from: features + start * d, count: n * d)
            // The same float64 arithmetic that prepared the training data.
            let chunk = LabeledMatrix(rows: n, columns: d,
                                      features: FloatStorage(borrowing: staged.base, count: n * d, release: nil),
                                      labels: n == batchRows ? zeroLabels : Array(zeroLabels.prefix(n)))
            model.standardizer.apply(inPlace: chunk)
            var input = UnsafePointer(staged.base)
            if let p = model.projection, let projected {
                // X·basisᵀ, as `PCA.project` prepared the training rows.
                p.basis.withUnsafeBufferPointer { b in
                    gemm(.nt, m: n, n: p.components, k: d, a: staged.base, lda: d, b: b.baseAddress!, ldb: d,
                         c: projected.base, ldc: p.components, accumulate: false)
                }
                input = UnsafePointer(projected.base)
            }
            let scores = net.inferenceScores(x: input, rows: n)
            let out = outputs + start * c
            switch model.schema.target {
            case .classes:
                if let classes { argmaxRows(classes + start, scores: scores, bias: nil, n: n, c: c) }
                softmaxRows(out, scores: scores, rows: n, columns: c)
            case .regression(_, let mean, let deviation):
                for i in 0..<n {
                    for j in 0..<c { out[i * c + j] = Float(Double(scores[i * c + j]) * deviation[j] + mean[j]) }
                }
            }
            start += n
        }
    }
}

/// Row-wise softmax, shifted by each row's maximum before the kernel's `exponential`.
///
///     // scores: [rows × columns] → probabilities: [rows × columns]
func softmaxRows(_ probabilities: UnsafeMutablePointer<Float>, scores: UnsafePointer<Float>, rows: Int, columns c: Int) {
    for i in 0..<rows {
        let s = scores + i * c, p = probabilities + i * c
        var rowMax = s[0]
        for j in 1..<max(c, 1) where s[j] > rowMax { rowMax = s[j] }
        var sum: Float = 0
        for j in 0..<c {
            p[j] = exponential(s[j] - rowMax)
            sum += p[j]
        }
        let inverse = 1 / sum
        for j in 0..<c { p[j] *= inverse }
    }
}
