// Horizontal-flip augmentation, llm.c style: a forward/backward pair on raw row-major
// buffers. Each row is an image in height × width × channel order (pixel (y, x, c) at
// `(y·W + x)·C + c`: CIFAR-10's rows as the loader writes them, and Fashion-MNIST's with
// C = 1); a flagged row is mirrored left to right, `out(y, x, c) = in(y, W − 1 − x, c)`.
//
// The mirror is a permutation that is its own inverse and its own transpose, so the backward
// applies the same flags to the gradient. The network never needs it (the flip acts on the
// input, whose gradient is not computed); it is here so that the layer is complete and its
// gradient can be checked like every other.
//
// Which rows flip: row `i` of the minibatch of training step `t` flips when the top bit of
// word `i` of Philox stream `RandomStreams.horizontalFlip` under the trial's seed, counted
// from block `t·2³²`, is set: probability 1/2, the same on every worker and thread.

/// The layout of an image row: height × width × channels, channel fastest.
public struct ImageShape: Sendable, Hashable {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        precondition(height > 0 && width > 0 && channels > 0, "image sides must be positive")
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Features per row: `height·width·channels`.
    public var featureCount: Int { height * width * channels }
}

/// Draws the flip decisions of `rows` rows at training step `step` (1 = flip), in order from
/// one generator positioned at block `step·2³²` (the plain specification of the words).
///
///     // flags: [rows]
public func horizontalFlipFlags(_ flags: UnsafeMutablePointer<UInt8>, rows: Int, seed: UInt64,
                                step: Int) {
    precondition(step >= 0 && step < 1 << 32, "flip step must fit in 32 bits")
    var rng = Philox4x32(seed: seed, stream: RandomStreams.horizontalFlip, block: UInt64(step) << 32)
    for i in 0..<rows { flags[i] = UInt8(rng.nextUInt32() >> 31) }
}

/// Flip forward: `Y[i] = flags[i] ≠ 0 ? mirror(X[i]) : X[i]` (not in place).
///
///     // X, Y: [rows × shape.featureCount], flags: [rows]
public func horizontalFlipForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                  flags: UnsafePointer<UInt8>, rows: Int, shape: ImageShape) {
    let (h, w, c) = (shape.height, shape.width, shape.channels)
    for i in 0..<rows {
        let src = x + i * shape.featureCount, dst = y + i * shape.featureCount
        for r in 0..<h {
            for col in 0..<w {
                let from = flags[i] != 0 ? w - 1 - col : col
                for ch in 0..<c { dst[(r * w + col) * c + ch] = src[(r * w + from) * c + ch] }
            }
        }
    }
}

/// Flip backward: `dX[i] = flags[i] ≠ 0 ? mirror(dY[i]) : dY[i]` (the mirror is its own
/// transpose), not in place.
///
///     // dY, dX: [rows × shape.featureCount], flags: [rows]
public func horizontalFlipBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                                   flags: UnsafePointer<UInt8>, rows: Int, shape: ImageShape) {
    horizontalFlipForward(y: dx, x: dy, flags: flags, rows: rows, shape: shape)
}

/// Mirrors one image row in place (swapping pixel columns x and W − 1 − x).
@inline(__always)
func mirrorInPlace(_ row: UnsafeMutablePointer<Float>, shape: ImageShape) {
    let (w, c) = (shape.width, shape.channels)
    for r in 0..<shape.height {
        let line = row + r * w * c
        var left = 0, right = w - 1
        while left < right {
            for ch in 0..<c { swap(&line[left * c + ch], &line[right * c + ch]) }
            left += 1
            right -= 1
        }
    }
}

/// Flips the training minibatch in place, one step at a time: draws the step's flags on the
/// calling thread, then mirrors the flagged rows (on a team's threads, by rows). The same
/// bits as ``horizontalFlipFlags`` then ``horizontalFlipForward`` (tested); allocates only at
/// `init`.
public final class HorizontalFlipper {
    public let shape: ImageShape
    public let seed: UInt64
    public let maxRows: Int
    /// The flags of the last step: [maxRows].
    public let flags: UnsafeMutablePointer<UInt8>

    public init(shape: ImageShape, seed: UInt64, maxRows: Int) {
        precondition(maxRows > 0, "flip needs at least one row")
        self.shape = shape
        self.seed = seed
        self.maxRows = maxRows
        flags = .allocate(capacity: maxRows)
        flags.initialize(repeating: 0, count: maxRows)
    }

    deinit { flags.deallocate() }

    /// Flips rows of `x` in place as step `step` decides.
    ///
    ///     // x: [rows × shape.featureCount], rows ≤ maxRows
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, step: Int, team: ThreadTeam? = nil) {
        precondition(rows <= maxRows, "more rows than the flipper was made for")
        horizontalFlipFlags(flags, rows: rows, seed: seed, step: step)
        guard let team, team.count > 1, rows * shape.featureCount >= 2 * minimumElementsPerThread else {
            mirrorFlagged(x, rows: 0..<rows)
            return
        }
        job.flipper = self
        job.x = x
        team.forEachRange(rows, job)
        job.flipper = nil
    }

    private func mirrorFlagged(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for i in rows where flags[i] != 0 { mirrorInPlace(x + i * shape.featureCount, shape: shape) }
    }

    /// The team job of `apply`: mirrors the flagged rows of a range.
    private final class MirrorJob: RangeJob {
        unowned(unsafe) var flipper: HorizontalFlipper? = nil
        var x: UnsafeMutablePointer<Float>? = nil

        override func run(range: Range<Int>) { flipper!.mirrorFlagged(x!, rows: range) }
    }
    private let job = MirrorJob()
}
