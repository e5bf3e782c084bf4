// In-register transposes for packing transposed operands (B in layout .nt).
//
// Swift's SIMD types have no shuffle API, but `evenHalf`/`oddHalf` of a
// double-width vector lower to two-source shuffles (vpermt2ps with AVX-512,
// vshufps/vpermpd pairs with AVX2). A w×w transpose is log2(w) rounds of
// "unzip": in row-major order one unzip (evens, then odds) rotates the bits
// of every element's index right by one, and log2(w) rotations turn
// index (row, col) into (col, row).

#if HYPERGRID_AVX512
/// Two `GEMMVector`s side by side.
typealias GEMMVectorPair = SIMD32<Float>
#else
typealias GEMMVectorPair = SIMD16<Float>
#endif

/// One unzip round over `w` vectors: out[i] = evens(in[2i] ++ in[2i+1]),
/// out[w/2 + i] = odds(in[2i] ++ in[2i+1]).
@inline(__always)
private func unzip(_ load: (Int) -> GEMMVector, _ store: (Int, GEMMVector) -> Void) {
    let half = GEMMBlocking.w / 2
    for i in 0..<half {
        let pair = GEMMVectorPair(lowHalf: load(2 * i), highHalf: load(2 * i + 1))
        store(i, pair.evenHalf)
        store(half + i, pair.oddHalf)
    }
}

/// Transposes a `w × w` block: `dst[t * dstStride + j] = src[j * ld + t]`.
/// `scratch` holds `2w` vectors of intermediate rounds (L1-resident; LLVM
/// keeps most of it in registers).
@inline(__always)
func transposeSquare(_ src: UnsafePointer<Float>, _ ld: Int,
                     _ dst: UnsafeMutablePointer<Float>, _ dstStride: Int,
                     scratch: UnsafeMutablePointer<GEMMVector>) {
    let w = GEMMBlocking.w
    var from = scratch, to = scratch + w
    unzip({ vload(src + $0 * ld) }, { from[$0] = $1 })
    for _ in 0..<(w.trailingZeroBitCount - 2) {
        unzip({ from[$0] }, { to[$0] = $1 })
        swap(&from, &to)
    }
    unzip({ from[$0] }, { vstore($1, dst + $0 * dstStride) })
}
