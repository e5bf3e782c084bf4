import Testing
@testable import HypergridKernel

/// Random crop (shift with zero fill): the shift itself, its transpose, the offsets drawn
/// per step, and the in-place (team) path against the plain forward.
@Suite struct RandomCropTests {
    /// A 3×4 image of 2 channels, values naming (y, x, c) + 1 (so that 0 is only the fill).
    static func namedImage() -> [Float] {
        var x = [Float]()
        for y in 0..<3 { for col in 0..<4 { for c in 0..<2 { x.append(Float(100 * y + 10 * col + c + 1)) } } }
        return x
    }

    @Test func shiftsPixelsAndFillsWithZeros() {
        let shape = ImageShape(height: 3, width: 4, channels: 2)
        let x = Self.namedImage()
        var out = [Float](repeating: -1, count: x.count)
        // out(y, x) = in(y + 1, x − 2): the content moves up one line and right two columns.
        randomCropForward(y: &out, x: x, dx: [-2], dy: [1], rows: 1, shape: shape)
        for y in 0..<3 { for col in 0..<4 { for c in 0..<2 {
            let (sy, sx) = (y + 1, col - 2)
            let expected: Float = sy < 3 && sx >= 0 ? Float(100 * sy + 10 * sx + c + 1) : 0
            #expect(out[(y * 4 + col) * 2 + c] == expected, "(\(y), \(col), \(c))")
        } } }
        // A zero shift is the identity; a shift by the whole width leaves only zeros.
        randomCropForward(y: &out, x: x, dx: [0], dy: [0], rows: 1, shape: shape)
        #expect(out == x)
        randomCropForward(y: &out, x: x, dx: [4], dy: [0], rows: 1, shape: shape)
        #expect(out.allSatisfy { $0 == 0 })
    }

    /// The backward is the transpose (and so the gradient of `Σ g ⊙ crop(x)`): checked by
    /// Double central differences, and exactly by ⟨crop(x), g⟩ = ⟨x, cropᵀ(g)⟩ on integers.
    @Test func layerGradient() {
        let shape = ImageShape(height: 5, width: 4, channels: 3)
        let rows = 4, count = rows * shape.featureCount
        let dx: [Int32] = [1, -2, 0, 3], dy: [Int32] = [-1, 2, 0, -4]
        let x = gaussianArray(count, seed: 1), g = gaussianArray(count, seed: 2)
        var grad = [Float](repeating: 0, count: count)
        randomCropBackward(dx: &grad, dy: g.floats, dx: dx, dy: dy, rows: rows, shape: shape)
        let numeric = numericalGradient(at: x) { v in
            DoubleLayers.dot(g, Self.cropDouble(v, dx: dx, dy: dy, rows: rows, shape: shape))
        }
        expectGradient(grad, numeric, "crop dX")
        // Small integers: every product and sum is exact in Float.
        let xi = (0..<count).map { Float($0 % 7) - 3 }, gi = (0..<count).map { Float($0 % 5) - 2 }
        var cx = [Float](repeating: 0, count: count), tg = [Float](repeating: 0, count: count)
        randomCropForward(y: &cx, x: xi, dx: dx, dy: dy, rows: rows, shape: shape)
        randomCropBackward(dx: &tg, dy: gi, dx: dx, dy: dy, rows: rows, shape: shape)
        #expect(zip(cx, gi).reduce(0) { $0 + $1.0 * $1.1 } == zip(xi, tg).reduce(0) { $0 + $1.0 * $1.1 })
    }

    /// The forward in Double, written independently of the kernel's (padding, then a window).
    static func cropDouble(_ x: [Double], dx: [Int32], dy: [Int32], rows: Int, shape: ImageShape) -> [Double] {
        let (h, w, c) = (shape.height, shape.width, shape.channels)
        var y = [Double](repeating: 0, count: x.count)
        for i in 0..<rows {
            let p = 8   // padding larger than every shift used
            var padded = [Double](repeating: 0, count: (h + 2 * p) * (w + 2 * p) * c)
            for r in 0..<h { for col in 0..<w { for ch in 0..<c {
                padded[((r + p) * (w + 2 * p) + col + p) * c + ch] = x[i * shape.featureCount + (r * w + col) * c + ch]
            } } }
            let (top, left) = (p + Int(dy[i]), p + Int(dx[i]))
            for r in 0..<h { for col in 0..<w { for ch in 0..<c {
                y[i * shape.featureCount + (r * w + col) * c + ch] = padded[((top + r) * (w + 2 * p) + left + col) * c + ch]
            } } }
        }
        return y
    }

    /// Offsets come from the step's words (low and high 16 bits), cover [−P, P] evenly, and
    /// differ from step to step.
    @Test func offsetsComeFromTheStepsWords() {
        let rows = 9_000, padding = 4
        var dx = [Int32](repeating: 99, count: rows), dy = dx
        randomCropOffsets(dx: &dx, dy: &dy, rows: rows, padding: padding, seed: 3, step: 7)
        for i in [0, 1, 2, 3, 4, 1234, rows - 1] {
            let word = Philox4x32.word(seed: 3, stream: RandomStreams.randomCrop, index: 7 << 34 | UInt64(i))
            #expect(dx[i] == Int32(((word & 0xFFFF) * 9) >> 16) - 4, "row \(i)")
            #expect(dy[i] == Int32(((word >> 16) * 9) >> 16) - 4, "row \(i)")
        }
        for offsets in [dx, dy] {
            #expect(offsets.min() == -4 && offsets.max() == 4)
            for v in -4...4 {
                let share = Double(offsets.filter { $0 == Int32(v) }.count) / Double(rows)
                #expect(abs(share - 1.0 / 9) < 0.02, "offset \(v): \(share)")
            }
        }
        var next = [Int32](repeating: 99, count: rows), nextY = next
        randomCropOffsets(dx: &next, dy: &nextY, rows: rows, padding: padding, seed: 3, step: 8)
        #expect(next != dx && nextY != dy)
        // Padding 0 never moves anything.
        randomCropOffsets(dx: &next, dy: &nextY, rows: rows, padding: 0, seed: 3, step: 8)
        #expect(next.allSatisfy { $0 == 0 } && nextY.allSatisfy { $0 == 0 })
    }

    /// The cropper (offsets, then in-place shifts, alone or split over a team) gives the plain
    /// forward's bits, on CIFAR- and Fashion-shaped rows, including shifts past the image.
    @Test(arguments: [(32, 3, 4, 1), (32, 3, 4, 2), (28, 1, 2, 3), (8, 3, 12, 2)])
    func cropperMatchesPlainForward(side: Int, channels: Int, padding: Int, threads: Int) {
        let shape = ImageShape(height: side, width: side, channels: channels)
        let rows = 64
        let x = gaussianArray(rows * shape.featureCount, seed: 5).floats
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        let cropper = RandomCropper(shape: shape, padding: padding, seed: 11, maxRows: rows)
        for step in [0, 1, 99] {
            var fast = x
            cropper.apply(&fast, rows: rows, step: step, team: team)
            var dx = [Int32](repeating: 0, count: rows), dy = dx
            randomCropOffsets(dx: &dx, dy: &dy, rows: rows, padding: padding, seed: 11, step: step)
            var plain = [Float](repeating: 0, count: x.count)
            randomCropForward(y: &plain, x: x, dx: dx, dy: dy, rows: rows, shape: shape)
            #expect(fast == plain, "step \(step)")
            #expect(fast != x)
        }
    }
}
