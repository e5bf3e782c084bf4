#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Random-translation augmentation ("random crop with zero padding"), llm.c style: a
// forward/backward pair on raw row-major buffers, and a fast in-place applier.
//
// Padding an H×W image with P zero pixels on every side and cutting an H×W window at a
// uniformly random offset is the same as shifting the image by (dx, dy), each uniform in
// [−P, P], and filling the pixels shifted in with zeros:
//
//     out(y, x, c) = in(y + dy, x + dx, c)  when 0 ≤ y + dy < H and 0 ≤ x + dx < W, else 0.
//
// On standardised pixels, zero is the training split's mean pixel. Rows are images in
// height × width × channel order, as for the horizontal flip (`ImageShape`).
//
// The shift is a linear map whose transpose is the shift by (−dx, −dy) with the same zero
// fill, so the backward is the forward with negated offsets. The network never needs it (the
// crop acts on the input, whose gradient is not computed); it is here so that the layer is
// complete and checked like every other (the adjoint identity ⟨crop(x), g⟩ = ⟨x, cropᵀ(g)⟩).
//
// Which shift: row `i` of the minibatch of training step `t` uses word `i` of Philox stream
// `RandomStreams.randomCrop` under the trial's seed, counted from block `t·2³²` (as the
// flips): dx from its low 16 bits, dy from its high 16 bits, each mapped to 0…2P by
// `(bits·(2P + 1)) >> 16` and then less P. For P ≤ 255 the largest bias of that mapping is
// (2P + 1)/2¹⁶ < 0.8 % of one outcome's probability.

/// The largest padding a crop takes: offsets are drawn from 16 random bits each.
public let randomCropMaxPadding = 255

/// Draws the shifts of `rows` rows at training step `step`, each in [−padding, padding],
/// in order from one generator positioned at block `step·2³²` (the plain specification).
///
///     // dx, dy: [rows]
public func randomCropOffsets(dx: UnsafeMutablePointer<Int32>, dy: UnsafeMutablePointer<Int32>, rows: Int,
                              padding: Int, seed: UInt64, step: Int) {
    precondition(step >= 0 && step < 1 << 32, "crop step must fit in 32 bits")
    precondition(padding >= 0 && padding <= randomCropMaxPadding, "crop padding must be in 0...255")
    var rng = Philox4x32(seed: seed, stream: RandomStreams.randomCrop, block: UInt64(step) << 32)
    let span = UInt32(2 * padding + 1), p = Int32(padding)
    for i in 0..<rows {
        let word = rng.nextUInt32()
        dx[i] = Int32(((word & 0xFFFF) * span) >> 16) - p
        dy[i] = Int32(((word >> 16) * span) >> 16) - p
    }
}

/// Crop forward: `Y[i] = shift(X[i], dx[i], dy[i])` with zero fill (not in place).
///
///     // X, Y: [rows × shape.featureCount], dx, dy: [rows]
public func randomCropForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                              dx: UnsafePointer<Int32>, dy: UnsafePointer<Int32>, rows: Int, shape: ImageShape) {
    let (h, w, c) = (shape.height, shape.width, shape.channels)
    for i in 0..<rows {
        let src = x + i * shape.featureCount, dst = y + i * shape.featureCount
        let (ox, oy) = (Int(dx[i]), Int(dy[i]))
        for r in 0..<h {
            for col in 0..<w {
                let (sr, sc) = (r + oy, col + ox)
                let inside = sr >= 0 && sr < h && sc >= 0 && sc < w
                for ch in 0..<c { dst[(r * w + col) * c + ch] = inside ? src[(sr * w + sc) * c + ch] : 0 }
            }
        }
    }
}

/// Crop backward: `dX[i] = shift(dY[i], −dx[i], −dy[i])` with zero fill, the transpose of
/// the forward (not in place).
///
///     // dY, dX: [rows × shape.featureCount], dx, dy: [rows]
public func randomCropBackward(dx gradient: UnsafeMutablePointer<Float>, dy upstream: UnsafePointer<Float>,
                               dx: UnsafePointer<Int32>, dy: UnsafePointer<Int32>, rows: Int, shape: ImageShape) {
    let n = shape.featureCount
    for i in 0..<rows {
        var (nx, ny) = (-dx[i], -dy[i])
        randomCropForward(y: gradient + i * n, x: upstream + i * n, dx: &nx, dy: &ny, rows: 1, shape: shape)
    }
}

/// Shifts one image row in place by (ox, oy) with zero fill: the same values as
/// ``randomCropForward`` into another buffer.
///
/// No scratch row: output line r reads input line r + oy, so walking the lines away from the
/// side the content moves to (top to bottom when oy ≥ 0) reads every line before it is
/// overwritten; within a line, `memmove` handles the overlap of oy = 0.
@inline(__always)
func shiftInPlace(_ row: UnsafeMutablePointer<Float>, ox: Int, oy: Int, shape: ImageShape) {
    let (h, w, c) = (shape.height, shape.width, shape.channels)
    let line = w * c
    // Columns of an output line that come from the input: [lo, hi), from input column lo + ox.
    let lo = max(0, -ox), hi = min(w, w - ox)
    let kept = max(0, hi - lo)
    var r = oy >= 0 ? 0 : h - 1
    let advance = oy >= 0 ? 1 : -1
    for _ in 0..<h {
        let out = row + r * line
        let sr = r + oy
        if sr < 0 || sr >= h || kept == 0 {
            out.update(repeating: 0, count: line)
        } else {
            if ox != 0 || oy != 0 {
                memmove(out + lo * c, row + sr * line + (lo + ox) * c, kept * c * MemoryLayout<Float>.stride)
            }
            if lo > 0 { out.update(repeating: 0, count: lo * c) }
            if hi < w { (out + hi * c).update(repeating: 0, count: (w - hi) * c) }
        }
        r += advance
    }
}

/// Shifts the training minibatch in place, one step at a time: draws the step's offsets on
/// the calling thread, then shifts the rows (on a team's threads, by rows). The same bits
/// as ``randomCropOffsets`` then ``randomCropForward`` (tested); allocates only at `init`.
public final class RandomCropper {
    public let shape: ImageShape
    public let padding: Int
    public let seed: UInt64
    public let maxRows: Int
    /// The offsets of the last step: [maxRows] each.
    public let dx: UnsafeMutablePointer<Int32>
    public let dy: UnsafeMutablePointer<Int32>

    public init(shape: ImageShape, padding: Int, seed: UInt64, maxRows: Int) {
        precondition(maxRows > 0, "a crop needs at least one row")
        precondition(padding >= 0 && padding <= randomCropMaxPadding, "crop padding must be in 0...255")
        self.shape = shape
        self.padding = padding
        self.seed = seed
        self.maxRows = maxRows
        dx = .allocate(capacity: maxRows)
        dx.initialize(repeating: 0, count: maxRows)
        dy = .allocate(capacity: maxRows)
        dy.initialize(repeating: 0, count: maxRows)
    }

    deinit {
        dx.deallocate()
        dy.deallocate()
    }

    /// Shifts rows of `x` in place as step `step` decides.
    ///
    ///     // x: [rows × shape.featureCount], rows ≤ maxRows
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, step: Int, team: ThreadTeam? = nil) {
        precondition(rows <= maxRows, "more rows than the cropper was made for")
        randomCropOffsets(dx: dx, dy: dy, rows: rows, padding: padding, seed: seed, step: step)
        guard let team, team.count > 1, rows * shape.featureCount >= 2 * minimumElementsPerThread else {
            shiftRows(x, rows: 0..<rows)
            return
        }
        job.cropper = self
        job.x = x
        team.forEachRange(rows, job)
        job.cropper = nil
    }

    private func shiftRows(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for i in rows where dx[i] != 0 || dy[i] != 0 {
            shiftInPlace(x + i * shape.featureCount, ox: Int(dx[i]), oy: Int(dy[i]), shape: shape)
        }
    }

    /// The team job of `apply`: shifts the rows of a range.
    private final class ShiftJob: RangeJob {
        unowned(unsafe) var cropper: RandomCropper? = nil
        var x: UnsafeMutablePointer<Float>? = nil

        override func run(range: Range<Int>) { cropper!.shiftRows(x!, rows: range) }
    }
    private let job = ShiftJob()
}
