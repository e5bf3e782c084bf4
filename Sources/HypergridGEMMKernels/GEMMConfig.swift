// Compile-time shape of the micro-kernels and the cache blocking around them.
//
// The vector width is fixed per compiled copy of this directory (see
// GEMMKernels.swift and Package.swift): HypergridGEMMAVX2 is built for the
// baseline target with 8 lanes, HypergridGEMMAVX512 for x86-64-v4 with 16.
// Swift has no per-function target attribute, and a wider type compiled for
// a narrower target splits into pairs of registers (earlier measurements on
// this machine kind: SIMD16 kernels 60–66 GFLOP/s vs 86–95 for SIMD8 under
// x86-64-v3), so each width gets its own module and HypergridKernel picks
// one at run time.

#if HYPERGRID_AVX512
/// One register of output columns: 16 lanes (a zmm register).
typealias GEMMVector = SIMD16<Float>
#else
/// One register of output columns: 8 lanes (a ymm register).
typealias GEMMVector = SIMD8<Float>
#endif

enum GEMMBlocking {
    /// Lanes in one vector register.
    static let w = GEMMVector.scalarCount

    /// Rows of the micro-tile. The wide kernel keeps `mr × 2` accumulators live:
    /// 6×2 = 12 of 16 ymm (AVX2) or 8×2 = 16 of 32 zmm (AVX-512), leaving
    /// registers for the two B vectors and the A broadcast. Both give at least
    /// 8 independent FMA chains, enough to cover 2 FMA ports × 4 cycles latency.
    #if HYPERGRID_AVX512
    static let mr = 8
    #else
    static let mr = 6
    #endif

    /// Columns of the wide micro-tile: two vectors.
    static let nr = 2 * w

    /// Depth of one packed panel. A `kc × nr` B sliver (16 KiB with AVX2,
    /// 32 KiB with AVX-512 at kc = 256) stays in the 48 KiB L1 while the
    /// kernel sweeps every row block of A past it.
    static let kc = 256

    /// Rows of A per block: `mc × kc` floats (≈ 240 KiB) live in L2.
    /// A multiple of both 6 and 8, so only the last block has a ragged edge.
    static let mc = 240

    /// Read row-major A (.nn/.nt) in place instead of packing it. The `mr`
    /// row streams are each contiguous in p and the block is L2-resident
    /// either way, so packing only added a strided gather: measured +5% on
    /// 200×256×3072 nn and 200×99×256 nt (AVX-512 build), and no loss once the
    /// B panel fits L2 (see `nc`). Transposed A (.tn) is still packed: in place
    /// every p touches a new cache line (and page, at lda = 3072), and
    /// 3072×256×200 tn fell from 78 to 54 GFLOP/s (AVX2 build).
    static let rowMajorAInPlace = true

    /// Columns of B packed at once: `kc × nc` floats (1 MiB) plus the A block
    /// fit the 2 MiB L2. With nc = 4096 the 3 MiB panel of 200×3072×256 nt
    /// spilled to L3 and lost ~10% when A was read in place.
    static let nc = 1024
}
