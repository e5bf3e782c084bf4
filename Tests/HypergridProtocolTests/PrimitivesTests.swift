import HypergridPrimitives
import Testing

/// Pins HypergridPrimitives (here because the protocol tests already import it, and the wire
/// carries its hex): trial ids, fingerprints and random-search points depend on both.
@Suite struct PrimitivesTests {
    @Test func hexIsLowerCaseTwoDigitsAByteAndPadsIntegersToTheirWidth() {
        #expect(Hex.string([UInt8]()) == "")
        #expect(Hex.string([0x00, 0x0a, 0xff, 0x5c]) == "000aff5c")
        #expect(Hex.string(UInt32(0x803)) == "00000803")
        #expect(Hex.string(UInt32.max) == "ffffffff")
        #expect(Hex.string(UInt8(7)) == "07")
        #expect(Hex.string(UInt64(0xdead_beef)) == "00000000deadbeef")
    }

    /// The reference SplitMix64 (Vigna's splitmix64.c) from seed 0 starts with these values.
    @Test func splitMix64MatchesTheReferenceSequence() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
    }
}
