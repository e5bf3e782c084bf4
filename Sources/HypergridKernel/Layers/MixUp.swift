// MixUp (Zhang, Cissé, Dauphin & Lopez-Paz 2018, "mixup: Beyond Empirical Risk
// Minimization"), llm.c style: a forward/backward pair on raw buffers and an applier for the
// training loop.
//
// Each training step draws one weight λ ~ Beta(α, α) (as the paper's implementation: one λ
// per minibatch) and trains on convex combinations of rows and of their one-hot targets:
//
//     x̃_i = λ·x_i + (1 − λ)·x_{(i+1) mod N},   ỹ_i = λ·e(y_i) + (1 − λ)·e(y_{(i+1) mod N}).
//
// The partner of row i is the next row of the minibatch rather than a second random
// permutation: minibatches are already drawn at random (with replacement or shuffled), so the
// pairs are random too, and the partner needs no random words and no index buffer.
// The targets enter through the loss (MixUpLoss.swift); with label smoothing ε the target is
// (1 − ε)·ỹ + ε/C.
//
// Which λ: step `t` draws it from Philox stream `RandomStreams.mixUp` under the trial's seed,
// counted from block `t·2³²` (as the flips and crops), with ``betaSymmetric(alpha:_:)``,
// so any worker, thread count or resumed run mixes the same way.
//
// The forward is linear in x; its transpose (the backward) is
// dx_i = λ·dx̃_i + (1 − λ)·dx̃_{(i−1) mod N}. The network never needs it (the inputs'
// gradient is not computed); it is here so that the layer is complete and checked like
// every other (the adjoint identity).

/// Step `step`'s mixing weight λ ~ Beta(α, α), rounded once to Float.
public func mixUpWeight(alpha: Double, seed: UInt64, step: Int) -> Float {
    precondition(step >= 0 && step < 1 << 32, "MixUp step must fit in 32 bits")
    var rng = Philox4x32(seed: seed, stream: RandomStreams.mixUp, block: UInt64(step) << 32)
    return Float(betaSymmetric(alpha: alpha, &rng))
}

/// MixUp forward over rows `range` of a minibatch of `rows` rows (not in place):
/// `Y[i] = λ·X[i] + (1 − λ)·X[(i + 1) mod rows]`, elementwise as `λ·a + μ·b` with
/// μ = 1 − λ rounded once to Float.
///
///     // X, Y: [rows × columns]
public func mixUpForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, columns: Int,
                         lambda: Float, range: Range<Int>? = nil) {
    let mu = 1 - lambda
    for i in range ?? 0..<rows {
        let a = x + i * columns, b = x + ((i + 1) % rows) * columns, out = y + i * columns
        for j in 0..<columns { out[j] = lambda * a[j] + mu * b[j] }
    }
}

/// MixUp backward, the transpose of the forward (not in place):
/// `dX[i] = λ·dY[i] + (1 − λ)·dY[(i − 1) mod rows]`.
///
///     // dY, dX: [rows × columns]
public func mixUpBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, rows: Int, columns: Int,
                          lambda: Float) {
    let mu = 1 - lambda
    for i in 0..<rows {
        let own = dy + i * columns, previous = dy + ((i + rows - 1) % rows) * columns, out = dx + i * columns
        for j in 0..<columns { out[j] = lambda * own[j] + mu * previous[j] }
    }
}

/// What the loss of a mixed minibatch needs besides the labels: the partner of row i is row
/// `(i + 1) mod N`, whose label is `partnerLabels[i]`.
public struct MixUpTargets {
    /// [rows]: `labels[(i + 1) mod rows]`.
    public let partnerLabels: UnsafePointer<Int32>
    /// The weight of each row's own label.
    public let lambda: Float

    public init(partnerLabels: UnsafePointer<Int32>, lambda: Float) {
        self.partnerLabels = partnerLabels
        self.lambda = lambda
    }
}

/// Mixes each training minibatch into a buffer of its own, one step at a time: draws the
/// step's λ on the calling thread, then mixes rows (on a team's threads, by rows). The same
/// bits as ``mixUpWeight(alpha:seed:step:)`` then ``mixUpForward(y:x:rows:columns:lambda:range:)``
/// (tested); allocates only at `init`.
public final class MixUpMixer {
    public let columns: Int
    public let alpha: Double
    public let seed: UInt64
    public let maxRows: Int
    /// The mixed minibatch of the last ``apply(x:labels:rows:step:team:)``: [maxRows × columns].
    public let mixed: UnsafeMutablePointer<Float>
    /// The partner labels of the last ``apply(x:labels:rows:step:team:)``: [maxRows].
    public let partnerLabels: UnsafeMutablePointer<Int32>

    public init(columns: Int, alpha: Double, seed: UInt64, maxRows: Int) {
        precondition(columns > 0 && maxRows > 0, "MixUp needs positive sizes")
        precondition(alpha > 0 && alpha <= betaSymmetricMaxAlpha, "MixUp's α must be in (0, 4]")
        (self.columns, self.alpha, self.seed, self.maxRows) = (columns, alpha, seed, maxRows)
        mixed = UnsafeMutableRawPointer.allocate(byteCount: maxRows * columns * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: maxRows * columns)
        mixed.initialize(repeating: 0, count: maxRows * columns)
        partnerLabels = .allocate(capacity: maxRows)
        partnerLabels.initialize(repeating: 0, count: maxRows)
    }

    deinit {
        mixed.deallocate()
        partnerLabels.deallocate()
    }

    /// Mixes the `rows` rows of `x` into ``mixed`` as step `step` decides, and fills
    /// ``partnerLabels``; returns what the loss needs.
    ///
    ///     // x: [rows × columns], labels: [rows], rows ≤ maxRows
    public func apply(x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, step: Int,
                      team: ThreadTeam? = nil) -> MixUpTargets {
        precondition(rows > 0 && rows <= maxRows, "more rows than the mixer was made for")
        let lambda = mixUpWeight(alpha: alpha, seed: seed, step: step)
        for i in 0..<rows { partnerLabels[i] = labels[(i + 1) % rows] }
        if let team, team.count > 1, rows * columns >= 2 * minimumElementsPerThread {
            (job.x, job.y, job.rows, job.columns, job.lambda) = (x, mixed, rows, columns, lambda)
            team.forEachRange(rows, job)
            (job.x, job.y) = (nil, nil)
        } else {
            mixUpForward(y: mixed, x: x, rows: rows, columns: columns, lambda: lambda)
        }
        return MixUpTargets(partnerLabels: partnerLabels, lambda: lambda)
    }

    /// The team job of `apply`: mixes the rows of a range (each row reads its partner from
    /// the unmixed input, so ranges are independent).
    private final class MixJob: RangeJob {
        var x: UnsafePointer<Float>? = nil
        var y: UnsafeMutablePointer<Float>? = nil
        var rows = 0, columns = 0
        var lambda: Float = 0

        override func run(range: Range<Int>) {
            mixUpForward(y: y!, x: x!, rows: rows, columns: columns, lambda: lambda, range: range)
        }
    }
    private let job = MixJob()
}
