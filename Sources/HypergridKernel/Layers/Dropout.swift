// Inverted dropout (Srivastava et al. 2014; PyTorch's `nn.Dropout`), llm.c style: a
// forward/backward pair on raw buffers. In training every activation is kept with
// probability 1 − p and multiplied by 1/(1 − p), so inference uses the network unchanged.
//
// Where the mask bits come from: element `e` (row-major index in the [N × C] activation) at
// training step `t` uses word `e` of Philox stream `RandomStreams.dropout(layer:)` under the
// trial's seed, counted from block `t·2³²` (four words per block). The word depends only on
// (seed, layer, step, e), so any thread, worker or split of the rows draws the same mask.
// An element is dropped when the word's top 24 bits are below `round(p·2²⁴)`.
//
// The plain functions (`dropoutMask`, `dropoutForward`, `dropoutBackward`) are the
// specification. The MLP's fast path never stores the mask: it applies it in place after
// the ReLU (`dropoutInPlace`), and its backward uses that after dropout an activation is
// `> 0` exactly where the ReLU passed it *and* the mask kept it, so the fused ReLU backward
// becomes `dZ = A > 0 ? dA·scale : 0` (tested bit-for-bit against the plain composition).

/// What one dropout layer draws its mask from, for one training step.
public struct DropoutKey: Sendable, Hashable {
    /// Drop probability p, in [0, 1).
    public let rate: Double
    /// A word whose top 24 bits are below this drops its element: `round(p·2²⁴)`.
    public let threshold: UInt32
    /// The factor of kept elements, `1/(1 − p)` rounded once to Float.
    public let scale: Float
    public let seed: UInt64
    public let stream: UInt64
    /// The training step (iteration); its words start at block `step·2³²`.
    public let step: Int

    public init(rate: Double, seed: UInt64, stream: UInt64, step: Int) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        precondition(step >= 0 && step < 1 << 32, "dropout step must fit in 32 bits")
        self.rate = rate
        self.threshold = UInt32((rate * 16_777_216).rounded())
        self.scale = Float(1 / (1 - rate))
        self.seed = seed
        self.stream = stream
        self.step = step
    }

    /// Whether the element whose word is `word` is kept.
    @inline(__always)
    func keeps(_ word: UInt32) -> Bool { word >> 8 >= threshold }
}

/// The mask of `count` elements: `scale` where kept, 0 where dropped, drawn in order from
/// one generator positioned at block `step·2³²` (the plain specification of the words).
///
///     // mask: [count] (count < 2³⁴)
public func dropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, key: DropoutKey) {
    precondition(count < 1 << 34, "a dropout mask holds fewer than 2³⁴ elements")
    var rng = Philox4x32(seed: key.seed, stream: key.stream, block: UInt64(key.step) << 32)
    for e in 0..<count { mask[e] = key.keeps(rng.nextUInt32()) ? key.scale : 0 }
}

/// Dropout forward: `Y = X ⊙ mask` (in place allowed).
///
///     // X, Y, mask: [count]
public func dropoutForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                           mask: UnsafePointer<Float>, count: Int) {
    for e in 0..<count { y[e] = x[e] * mask[e] }
}

/// Dropout backward: `dX = dY ⊙ mask` (in place allowed); the layer is linear in X.
///
///     // dY, dX, mask: [count]
public func dropoutBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                            mask: UnsafePointer<Float>, count: Int) {
    for e in 0..<count { dx[e] = dy[e] * mask[e] }
}

// MARK: - Fast path

/// Dropout forward in place on rows `rows` of an [N × columns] activation (row stride
/// `columns`), drawing each element's word directly: the same bits as ``dropoutMask`` then
/// ``dropoutForward`` for any split of the rows.
///
///     // A: [N × columns], updated in rows `rows`
@inline(__always)
func dropoutInPlace(_ a: UnsafeMutablePointer<Float>, columns: Int, rows: Range<Int>,
                    key: DropoutKey) {
    let scale = key.scale
    for i in rows {
        let row = a + i * columns
        let first = i * columns
        var j = 0
        while j < columns {
            // One Philox block gives the words of four consecutive elements.
            let e = first + j
            let block = Philox4x32.blockWords(seed: key.seed, stream: key.stream,
                                              index: UInt64(key.step) << 34 | UInt64(e))
            let end = min(columns, j + 4 - (e & 3))
            for k in j..<end {
                let word: UInt32
                switch (first + k) & 3 {
                case 0: word = block.0
                case 1: word = block.1
                case 2: word = block.2
                default: word = block.3
                }
                row[k] = row[k] * (key.keeps(word) ? scale : 0)
            }
            j = end
        }
    }
}

/// The fused ReLU + dropout backward of a plain hidden layer, with its bias gradient, on a
/// block of columns (row stride `ld`, all rows in order): `dZ = A > 0 ? dA·scale : 0` where
/// `A` is the activation after dropout, and `db` the column sums of dZ. Bit-identical to
/// ``dropoutBackward`` then ``reluBackward`` then ``columnSums`` (see the file comment).
@inline(__always)
func reluDropoutBackwardColumnSums(_ dz: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>,
                                   db: UnsafeMutablePointer<Float>, scale: Float,
                                   rows: Int, columns: Int, ld: Int) {
    db.update(repeating: 0, count: columns)
    for i in 0..<rows {
        let g = dz + i * ld
        let a = y + i * ld
        for j in 0..<columns {
            let v = a[j] > 0 ? g[j] * scale : 0
            g[j] = v
            db[j] = db[j] + v
        }
    }
}

/// The fused ReLU + dropout + BatchNorm backward of a block of columns (row stride `ld`, all
/// rows in order): as ``reluBatchNormBackward(_:dGamma:dBeta:a:z:mean:rstd:gamma:n:c:)`` with
/// the ReLU mask `A > 0 ? dA·scale : 0`, `A` being the activation after dropout.
/// Bit-identical to ``dropoutBackward``, ``reluBackward`` then ``batchNormBackward``.
@inline(__always)
func reluDropoutBatchNormBackward(_ d: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
                                  dBeta: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>,
                                  z: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                  rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                  scale: Float, n: Int, c: Int, ld: Int) {
    dGamma.update(repeating: 0, count: c)
    dBeta.update(repeating: 0, count: c)
    for i in 0..<n {
        let zr = z + i * ld, ar = a + i * ld, gr = d + i * ld
        for j in 0..<c {
            let g = ar[j] > 0 ? gr[j] * scale : 0
            gr[j] = g
            let xhat = (zr[j] - mean[j]) * rstd[j]
            dBeta[j] = dBeta[j] + g
            dGamma[j] = dGamma[j] + g * xhat
        }
    }
    batchNormInputGradient(dz: d, dGamma: dGamma, dBeta: dBeta, dy: d, z: z, mean: mean,
                           rstd: rstd, gamma: gamma, n: n, c: c, ld: ld)
}

/// The team job that applies dropout to ranges of rows of one layer's activation.
final class DropoutJob: RangeJob {
    private var a: UnsafeMutablePointer<Float>? = nil
    private var columns = 0
    private var key: DropoutKey? = nil

    func set(_ a: UnsafeMutablePointer<Float>, columns: Int, key: DropoutKey) {
        (self.a, self.columns, self.key) = (a, columns, key)
    }

    override func run(range: Range<Int>) {
        dropoutInPlace(a!, columns: columns, rows: range, key: key!)
    }
}
