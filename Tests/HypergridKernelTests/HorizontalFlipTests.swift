import Testing
@testable import HypergridKernel

/// Horizontal flip: the mirror itself, its gradient, the flip decisions, and the in-place
/// (team) path against the plain forward.
@Suite struct HorizontalFlipTests {
    /// A 2×3 image of 2 channels, values naming (y, x, c): the flipped row reads x backwards.
    @Test func mirrorsEachPixelRowKeepingChannels() {
        let shape = ImageShape(height: 2, width: 3, channels: 2)
        var x = [Float]()
        for y in 0..<2 { for col in 0..<3 { for c in 0..<2 { x.append(Float(100 * y + 10 * col + c)) } } }
        let rows = x + x   // two images: the first flipped, the second not
        var out = [Float](repeating: -1, count: rows.count)
        let flags: [UInt8] = [1, 0]
        horizontalFlipForward(y: &out, x: rows, flags: flags, rows: 2, shape: shape)
        #expect(Array(out[0..<12]) == [20, 21, 10, 11, 0, 1, 120, 121, 110, 111, 100, 101])
        #expect(Array(out[12..<24]) == x)
        // Flipping twice is the identity.
        var back = [Float](repeating: -1, count: rows.count)
        horizontalFlipForward(y: &back, x: out, flags: flags, rows: 2, shape: shape)
        #expect(back == rows)
    }

    /// The backward is the gradient of `Σ g ⊙ flip(x)` (Double central differences).
    @Test func layerGradient() {
        let shape = ImageShape(height: 3, width: 5, channels: 3)
        let rows = 3, count = rows * shape.featureCount
        let flags: [UInt8] = [1, 0, 1]
        let x = gaussianArray(count, seed: 1), g = gaussianArray(count, seed: 2)
        var dx = [Float](repeating: 0, count: count)
        horizontalFlipBackward(dx: &dx, dy: g.floats, flags: flags, rows: rows, shape: shape)
        // The forward in Double, written independently of the kernel's.
        let numeric = numericalGradient(at: x) { v in
            DoubleLayers.dot(g, flipDouble(v, flags: flags, rows: rows, shape: shape))
        }
        expectGradient(dx, numeric, "flip dX")
    }

    private func flipDouble(_ x: [Double], flags: [UInt8], rows: Int, shape: ImageShape) -> [Double] {
        var y = x
        let (w, c) = (shape.width, shape.channels)
        for i in 0..<rows where flags[i] != 0 {
            for r in 0..<shape.height {
                for col in 0..<w {
                    for ch in 0..<c {
                        y[i * shape.featureCount + (r * w + col) * c + ch] =
                            x[i * shape.featureCount + (r * w + w - 1 - col) * c + ch]
                    }
                }
            }
        }
        return y
    }

    /// Flags are the top bits of the stream's words from block step·2³²; about half flip;
    /// steps differ.
    @Test func flagsComeFromTheStepsWords() {
        let rows = 4_001
        var flags = [UInt8](repeating: 9, count: rows)
        horizontalFlipFlags(&flags, rows: rows, seed: 3, step: 7)
        for i in [0, 1, 2, 3, 4, 1234, rows - 1] {
            let word = Philox4x32.word(seed: 3, stream: RandomStreams.horizontalFlip, index: 7 << 34 | UInt64(i))
            #expect(flags[i] == UInt8(word >> 31), "row \(i)")
        }
        let share = Double(flags.filter { $0 == 1 }.count) / Double(rows)
        #expect(abs(share - 0.5) < 0.03, "share \(share)")
        var next = [UInt8](repeating: 9, count: rows)
        horizontalFlipFlags(&next, rows: rows, seed: 3, step: 8)
        #expect(next != flags)
    }

    /// The flipper (flags, then in-place mirrors, alone or split over a team) gives the plain
    /// forward's bits, on CIFAR- and Fashion-shaped rows.
    @Test(arguments: [(32, 3, 1), (32, 3, 2), (28, 1, 3)])
    func flipperMatchesPlainForward(side: Int, channels: Int, threads: Int) {
        let shape = ImageShape(height: side, width: side, channels: channels)
        let rows = 64
        let x = gaussianArray(rows * shape.featureCount, seed: 5).floats
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        let flipper = HorizontalFlipper(shape: shape, seed: 11, maxRows: rows)
        for step in [0, 1, 99] {
            var fast = x
            flipper.apply(&fast, rows: rows, step: step, team: team)
            var flags = [UInt8](repeating: 0, count: rows)
            horizontalFlipFlags(&flags, rows: rows, seed: 11, step: step)
            var plain = [Float](repeating: 0, count: x.count)
            horizontalFlipForward(y: &plain, x: x, flags: flags, rows: rows, shape: shape)
            #expect(fast == plain, "step \(step)")
            #expect(fast != x)   // with 64 rows, some flip
        }
    }
}
