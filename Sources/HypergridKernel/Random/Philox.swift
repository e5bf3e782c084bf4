#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
/// a counter-based generator. Block `i` of stream `s` under seed `k` is the bijection
/// `philox(counter: (i.lo, i.hi, s.lo, s.hi), key: (k.lo, k.hi))`, so every
/// (seed, stream) pair is an independent sequence of 2⁶⁴ blocks of four 32-bit words,
/// and nothing depends on the thread or the process that draws it.
///
/// Matches the Random123 known-answer vectors (see `PhiloxTests`). Words are consumed
/// in block order `x0, x1, x2, x3`; a `UInt64` is `x_lo | x_hi << 32` from two
/// consecutive words.
public struct Philox4x32: Sendable {
    public let seed: UInt64
    public let stream: UInt64
    /// Index of the next block to generate.
    public internal(set) var blockIndex: UInt64 = 0
    var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    /// Words of `buffer` already consumed; 4 means "generate the next block".
    var used = 4
    /// The second Box–Muller output, returned by the next `nextGaussian()`.
    var spareGaussian: Double? = nil

    /// A generator for `stream` under `seed`, positioned at block 0.
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// A generator for `stream` under `seed`, positioned at block `block`: the same words as
    /// one started at block 0 after `4·block` draws. Per-step draws (dropout masks, flips)
    /// start at block `step·2³²`, so that every step has its own range of 2³² blocks.
    public init(seed: UInt64, stream: UInt64, block: UInt64) {
        self.seed = seed
        self.stream = stream
        self.blockIndex = block
    }

    /// Word `index % 4` of block `index / 4` of `stream` under `seed`: the `index`-th word a
    /// generator started at block 0 would return, computed directly (one block, no state).
    /// This is what lets a thread draw the words of its own part of a mask.
    @inline(__always)
    public static func word(seed: UInt64, stream: UInt64, index: UInt64) -> UInt32 {
        let words = blockWords(seed: seed, stream: stream, index: index)
        switch index & 3 {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        default: return words.3
        }
    }

    /// The whole block holding word `index` of `stream` under `seed` (see ``word(seed:stream:index:)``).
    @inline(__always)
    public static func blockWords(seed: UInt64, stream: UInt64,
                                  index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        let block = index >> 2
        return Philox4x32.block(
            counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                      UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
            key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// The raw bijection: ten rounds of Philox4x32 on `counter` under `key`.
    public static func block(counter: (UInt32, UInt32, UInt32, UInt32),
                             key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9   // golden ratio
                k1 &+= 0xBB67_AE85   // sqrt(3) - 1
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let n0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0
            let n2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1
            c0 = n0
            c1 = UInt32(truncatingIfNeeded: p1)
            c2 = n2
            c3 = UInt32(truncatingIfNeeded: p0)
        }
        return (c0, c1, c2, c3)
    }

    /// The next 32 uniformly distributed bits.
    @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        if used == 4 { refill() }
        let word: UInt32
        switch used {
        case 0: word = buffer.0
        case 1: word = buffer.1
        case 2: word = buffer.2
        default: word = buffer.3
        }
        used += 1
        return word
    }

    mutating func refill() {
        let lo = UInt32(truncatingIfNeeded: blockIndex)
        let hi = UInt32(truncatingIfNeeded: blockIndex >> 32)
        buffer = Philox4x32.block(
            counter: (lo, hi, UInt32(truncatingIfNeeded: stream),
                      UInt32(truncatingIfNeeded: stream >> 32)),
            key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        blockIndex &+= 1
        used = 0
    }

    /// The next 64 uniformly distributed bits: two consecutive words, low word first.
    @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        let lo = UInt64(nextUInt32())
        let hi = UInt64(nextUInt32())
        return lo | hi << 32
    }

    /// A uniform float in `[0, 1)`: the top 24 bits of one word times 2⁻²⁴, so every
    /// value is exactly representable and 1 is never returned.
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(nextUInt32() >> 8) * (1.0 / 16_777_216.0)
    }

    /// A uniform double in `(0, 1]`: 53 bits, shifted up by one ulp so `log` never sees 0.
    @inline(__always)
    public mutating func nextOpenClosedDouble() -> Double {
        Double((nextUInt64() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal deviate (Box–Muller in Double: two uniforms give two
    /// independent normals; the second is kept for the next call).
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        let u1 = nextOpenClosedDouble()
        let u2 = nextOpenClosedDouble()
        let radius = (-2.0 * log(u1)).squareRoot()
        let angle = 2.0 * Double.pi * u2
        spareGaussian = radius * sin(angle)
        return radius * cos(angle)
    }

    /// A uniform integer in `[0, n)` without modulo bias (Lemire, "Fast random integer
    /// generation in an interval", 2019): the high word of a 64×64-bit product,
    /// rejecting the few low words that would over-represent some results.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:) needs a positive bound")
        let bound = UInt64(n)
        var product = nextUInt64().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound   // 2⁶⁴ mod n
            while product.low < threshold {
                product = nextUInt64().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// Fills `out[0..<count]` with Gaussian(0, std²) values rounded to Float.
    public mutating func fillGaussian(_ out: UnsafeMutablePointer<Float>, count: Int, std: Double) {
        for i in 0..<count { out[i] = Float(std * nextGaussian()) }
    }

    /// Fills `out[0..<count]` with uniform indices in `[0, n)`, drawn independently
    /// (sampling with replacement, as numpy's `rng.choice(n, count, replace=True)`).
    public mutating func fillIndices(_ out: UnsafeMutablePointer<Int32>, count: Int, below n: Int) {
        precondition(n <= Int(Int32.max), "row indices must fit in Int32")
        for i in 0..<count { out[i] = Int32(truncatingIfNeeded: nextInt(below: n)) }
    }
}
