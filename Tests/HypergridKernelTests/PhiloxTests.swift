import Testing
@testable import HypergridKernel

@Suite struct PhiloxTests {
    /// Random123's `kat_vectors`, the three `philox4x32 10` lines.
    @Test func random123KnownAnswers() {
        let cases: [((UInt32, UInt32, UInt32, UInt32), (UInt32, UInt32), [UInt32])] = [
            ((0, 0, 0, 0), (0, 0), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
            ((0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), (0xffff_ffff, 0xffff_ffff),
             [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
            ((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), (0xa409_3822, 0x299f_31d0),
             [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
        ]
        for (counter, key, expected) in cases {
            let r = Philox4x32.block(counter: counter, key: key)
            #expect([r.0, r.1, r.2, r.3] == expected)
        }
    }

    /// Seed 0, stream 0 starts with block (0,0,0,0) under key (0,0).
    @Test func generatorWalksTheCounter() {
        var g = Philox4x32(seed: 0, stream: 0)
        #expect((0..<4).map { _ in g.nextUInt32() } == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let second = Philox4x32.block(counter: (1, 0, 0, 0), key: (0, 0))
        #expect(g.nextUInt32() == second.0)
        #expect(g.blockIndex == 2)
    }

    // Expected values below were produced by an independent Python implementation of the
    // same definitions (counter = (block lo, block hi, stream lo, stream hi), key = seed,
    // 64-bit draws low word first, Box–Muller in double, Lemire's bounded integers).
    @Test func derivedKnownAnswers() {
        var g = Philox4x32(seed: 42, stream: 7)
        #expect((0..<6).map { _ in g.nextUInt32() }
                == [0x67ee_6f2c, 0xe554_10cc, 0x6c7e_ca35, 0x5573_98d3, 0xe5dd_e940, 0x600f_6196])
        var f = Philox4x32(seed: 42, stream: 7)
        #expect((0..<4).map { _ in f.nextFloat() }
                == [0.40598195791244507, 0.8958139419555664, 0.42380964756011963, 0.33379507064819336])
        var n = Philox4x32(seed: 2024, stream: 1)
        let expected = [0.40208808701258486, 0.8704492416476438, -0.29370171534163436, 3.129957722764508]
        for e in expected {
            // libm's log/sin/cos may differ in the last ulp between implementations.
            #expect(abs(n.nextGaussian() - e) < 1e-14)
        }
        var b = Philox4x32(seed: 7, stream: 1)
        #expect((0..<12).map { _ in b.nextInt(below: 10) } == [1, 2, 8, 3, 6, 7, 4, 3, 6, 5, 2, 6])
        var c = Philox4x32(seed: 7, stream: 1)
        #expect((0..<6).map { _ in c.nextInt(below: 50_000) } == [8586, 11264, 42491, 17349, 33087, 36548])
    }

    @Test func deterministicAndStreamsDiffer() {
        var a = Philox4x32(seed: 99, stream: 3), b = Philox4x32(seed: 99, stream: 3)
        var other = Philox4x32(seed: 99, stream: 4), otherSeed = Philox4x32(seed: 100, stream: 3)
        let sa = (0..<64).map { _ in a.nextUInt64() }
        #expect(sa == (0..<64).map { _ in b.nextUInt64() })
        #expect(sa != (0..<64).map { _ in other.nextUInt64() })
        #expect(sa != (0..<64).map { _ in otherSeed.nextUInt64() })
    }

    @Test func uniformFloatsLookUniform() {
        var g = Philox4x32(seed: 5, stream: 0)
        let n = 100_000
        var sum = 0.0, buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<n {
            let u = g.nextFloat()
            #expect(u >= 0 && u < 1)
            sum += Double(u)
            buckets[Int(u * 10)] += 1
        }
        // Mean of U(0,1): sd of the mean is sqrt(1/12/n) ≈ 0.0009; allow 5 sd.
        #expect(abs(sum / Double(n) - 0.5) < 0.0046)
        // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
        let e = Double(n) / 10
        let chi2 = buckets.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        #expect(chi2 < 27.9)
    }

    @Test func gaussiansLookStandardNormal() {
        var g = Philox4x32(seed: 11, stream: 2)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0, withinOne = 0
        for _ in 0..<n {
            let x = g.nextGaussian()
            sum += x
            sumSq += x * x
            if abs(x) < 1 { withinOne += 1 }
        }
        let mean = sum / Double(n)
        // 5 standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance,
        // sqrt(p(1-p)/n) for the 68.27 % within one sd.
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(sumSq / Double(n) - mean * mean - 1) < 5 * (2 / Double(n)).squareRoot())
        #expect(abs(Double(withinOne) / Double(n) - 0.682_69) < 5 * (0.2166 / Double(n)).squareRoot())
    }

    @Test func boundedIntegersAreUniform() {
        var g = Philox4x32(seed: 3, stream: 9)
        let n = 70_000
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<n { counts[g.nextInt(below: 7)] += 1 }
        let e = Double(n) / 7
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        #expect(chi2 < 22.5)   // 0.999 quantile of chi-square with 6 degrees of freedom
        #expect((0..<100).allSatisfy { _ in g.nextInt(below: 1) == 0 })
    }

    /// With bound 3·2⁶¹, `x mod bound` over 64-bit `x` would give values below 2⁶¹
    /// three preimages and the rest two, putting 3/8 of the draws there; unbiased
    /// sampling puts 1/3 (the standard error at 30k draws is 0.0027).
    @Test func noModuloBiasForHugeBounds() {
        var g = Philox4x32(seed: 1, stream: 1)
        let n = 30_000
        var low = 0
        for _ in 0..<n where g.nextInt(below: 3 << 61) < 1 << 61 { low += 1 }
        #expect(abs(Double(low) / Double(n) - 1.0 / 3.0) < 0.015)
    }

    @Test func indicesWithReplacementCoverTheRange() {
        var g = Philox4x32(seed: 8, stream: RandomStreams.minibatch)
        var idx = [Int32](repeating: -1, count: 2000)
        g.fillIndices(&idx, count: idx.count, below: 50)
        #expect(idx.allSatisfy { $0 >= 0 && $0 < 50 })
        #expect(Set(idx).count == 50)                  // every row drawn at least once
        #expect(Set(idx).count < idx.count)            // with replacement: repeats happen
    }
}

@Suite struct PhiloxPositionTests {
    @Test func seekingToASavedPositionReplaysTheStream() {
        for skip in [0, 1, 3, 4, 5, 7, 9] {
            var rng = Philox4x32(seed: 5, stream: 2)
            for _ in 0..<skip { _ = rng.nextUInt32() }
            _ = rng.nextGaussian()   // leaves a spare Box–Muller value
            let position = rng.position
            let expected = (0..<10).map { _ in rng.nextGaussian() }
            var other = Philox4x32(seed: 5, stream: 2)
            let sought = other.seek(to: position)
            #expect(sought)
            #expect((0..<10).map { _ in other.nextGaussian() } == expected, "after \(skip) words")
        }
        var rng = Philox4x32(seed: 1)
        let first = rng.seek(to: PhiloxPosition(blockIndex: 0, used: 2, spareGaussian: nil))
        let second = rng.seek(to: PhiloxPosition(blockIndex: 3, used: 5, spareGaussian: nil))
        #expect(!first && !second)
    }
}
