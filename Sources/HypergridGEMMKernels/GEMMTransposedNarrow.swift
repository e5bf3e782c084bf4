// `.tn` with few columns (the 10-class weight gradient Hᵀ·dY, 256×10×200):
// vectorize over the rows i of C instead of its columns j.
//
// With n = 10 and 16 lanes, a row-vector tile leaves 6 of every 16 lanes on
// padding. In layout .tn, op(A)[i][p] = A[p][i] is contiguous in i, so a tile
// can instead hold one vector of `w` consecutive rows per column j:
//
//     acc[v][j] (lanes = rows i0 + v·w ..< i0 + (v+1)·w) += A[p][i…] · splat(B[p][j])
//
// Every lane still runs its own (i, j) chain over p = 0, 1, … in order, so the
// bits are those of ``GEMMContract``; all lanes are useful, A and B are read in
// place, and only the final store has to transpose.

/// Vectors of rows per tile, and the most columns this path takes.
/// Accumulators are `transposedVectors × n`: at n = 12 AVX-512 keeps 2 × 12 = 24
/// of 32 zmm, AVX2 1 × 12 = 12 of 16 ymm, leaving room for the A vectors and a
/// broadcast. (Below n = 4 there are fewer than 8 chains and the FMA latency
/// shows, but such tiles are rare and still correct.)
#if HYPERGRID_AVX512
let transposedVectors = 2
#else
let transposedVectors = 1
#endif
let maxTransposedColumns = 12

/// Rows per tile.
let transposedRows = transposedVectors * GEMMBlocking.w

/// One tile: rows `0 ..< transposedRows` of op(A) at `a` (so `a[p*lda + i]`),
/// columns `0 ..< J` of B at `b` (`b[p*ldb + j]`), C at `c`.
/// `J` is a literal at every call site, so after inlining the j loops unroll
/// and the accumulators live in registers. `scratch` holds
/// `transposedRows · J` floats for the transposed store.
@inline(__always)
private func transposedTileBody(_ J: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int,
                                load: Bool, scratch: UnsafeMutablePointer<Float>) {
    let w = GEMMBlocking.w, nv = transposedVectors
    var acc = InlineArray<24, GEMMVector>(repeating: GEMMVector())
    if load {
        // acc[v·J + j] lane l = C[v·w + l][j]
        for v in 0..<nv {
            for j in 0..<J {
                var x = GEMMVector()
                for l in 0..<w { x[l] = c[(v * w + l) * ldc + j] }
                acc[v * J + j] = x
            }
        }
    }
    var pa = a
    var pb = b
    for _ in 0..<k {
        let a0 = vload(pa)
        let a1 = nv > 1 ? vload(pa + w) : a0
        for j in 0..<J {
            let bj = splat(pb[j])
            acc[j].addProduct(a0, bj)
            if nv > 1 { acc[J + j].addProduct(a1, bj) }
        }
        pa += lda
        pb += ldb
    }
    // Transpose on the way out: vectors run down a column of C.
    for v in 0..<nv {
        for j in 0..<J { vstore(acc[v * J + j], scratch + (v * J + j) * w) }
    }
    for v in 0..<nv {
        for l in 0..<w {
            let row = c + (v * w + l) * ldc
            for j in 0..<J { row[j] = scratch[(v * J + j) * w + l] }
        }
    }
}

/// One tile with `n` (1…12) columns; the switch turns `n` into a literal.
@inline(never)
private func transposedTile(_ n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int,
                            load: Bool, scratch: UnsafeMutablePointer<Float>) {
    switch n {
    case 1: transposedTileBody(1, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 2: transposedTileBody(2, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 3: transposedTileBody(3, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 4: transposedTileBody(4, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 5: transposedTileBody(5, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 6: transposedTileBody(6, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 7: transposedTileBody(7, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 8: transposedTileBody(8, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 9: transposedTileBody(9, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 10: transposedTileBody(10, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 11: transposedTileBody(11, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    case 12: transposedTileBody(12, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, load: load, scratch: scratch)
    default: preconditionFailure("transposedTile handles 1...\(maxTransposedColumns) columns")
    }
}

/// `.tn` with `n ≤ maxTransposedColumns`: whole tiles of `transposedRows` rows
/// here, the ragged rest through ``narrowGEMM``. Same arguments and bits as
/// ``referenceGEMM``.
func transposedNarrowGEMM(m: Int, n: Int, k: Int,
                          a: UnsafePointer<Float>, lda: Int,
                          b: UnsafePointer<Float>, ldb: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int,
                          accumulate: Bool, workspace: any GEMMScratch) {
    let full = m - m % transposedRows
    let scratch = workspace.floats(transposedRows * maxTransposedColumns)
    var i0 = 0
    while i0 < full {
        // op(A) rows i0… are A's columns i0…: start the tile there.
        transposedTile(n, k: k, a: a + i0, lda: lda, b: b, ldb: ldb,
                       c: c + i0 * ldc, ldc: ldc, load: accumulate, scratch: scratch)
        i0 += transposedRows
    }
    if full < m {
        // `scratch` is dead from here: narrowGEMM may regrow (and so free) it.
        narrowGEMM(.tn, m: m - full, n: n, k: k, a: a + full, lda: lda, b: b, ldb: ldb,
                   c: c + full * ldc, ldc: ldc, accumulate: accumulate, workspace: workspace)
    }
}
