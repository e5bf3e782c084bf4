import HypergridPrimitives

// The tests draw from the sources' SplitMix64 (HypergridPrimitives), so that every fuzz,
// property and round-trip test sees the same inputs and a failing seed replays exactly.
extension SplitMix64 {
    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
