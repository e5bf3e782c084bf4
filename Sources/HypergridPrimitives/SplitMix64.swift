/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fully determined by its seed on
/// every platform, unlike `SystemRandomNumberGenerator`, so that a seed picks the same grid
/// points, synthetic data and test inputs on every machine.
///
/// Hand-written because the standard library has no seeded generator and the algorithm is
/// eight lines; its output is pinned (random-search points, synthetic datasets), so it must
/// never change.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state: the last value of the Weyl sequence.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
