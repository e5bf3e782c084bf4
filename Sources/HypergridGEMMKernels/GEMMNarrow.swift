// The n ≤ nr path (the 10-class output layer and its gradients).
//
// B has so few columns that it is packed once as a single sliver over all of
// k, and A is read in place: each A element is used by only one row tile, so
// packing it would cost as much as the arithmetic.

/// Rows of the tall narrow tile: `2 * mr` accumulators of one vector each
/// (12 of 16 ymm, 16 of 32 zmm). Twice the independent FMA chains of the
/// `mr`-row narrow kernel, which sits exactly at the 8 chains needed to cover
/// the FMA latency and stalls on any hiccup.
let tallRows = 2 * GEMMBlocking.mr

/// `tallRows × w` tile; same contract and A addressing as ``narrowKernelBody``.
@inline(__always)
func tallKernelBody(_ kc: Int, _ a: UnsafePointer<Float>, rs: Int, ps: Int,
                    _ b: UnsafePointer<Float>,
                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    let w = GEMMBlocking.w
    let z = GEMMVector()
    var c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z
    var c6 = z, c7 = z, c8 = z, c9 = z, c10 = z, c11 = z
    #if HYPERGRID_AVX512
    var c12 = z, c13 = z, c14 = z, c15 = z
    #endif
    if load {
        c0 = vload(c); c1 = vload(c + ldc); c2 = vload(c + 2 * ldc)
        c3 = vload(c + 3 * ldc); c4 = vload(c + 4 * ldc); c5 = vload(c + 5 * ldc)
        c6 = vload(c + 6 * ldc); c7 = vload(c + 7 * ldc); c8 = vload(c + 8 * ldc)
        c9 = vload(c + 9 * ldc); c10 = vload(c + 10 * ldc); c11 = vload(c + 11 * ldc)
        #if HYPERGRID_AVX512
        c12 = vload(c + 12 * ldc); c13 = vload(c + 13 * ldc)
        c14 = vload(c + 14 * ldc); c15 = vload(c + 15 * ldc)
        #endif
    }
    var pa = a
    var pb = b
    @inline(__always) func step() {
        let b0 = vload(pb)
        c0.addProduct(splat(pa[0]), b0)
        c1.addProduct(splat(pa[rs]), b0)
        c2.addProduct(splat(pa[2 * rs]), b0)
        c3.addProduct(splat(pa[3 * rs]), b0)
        c4.addProduct(splat(pa[4 * rs]), b0)
        c5.addProduct(splat(pa[5 * rs]), b0)
        c6.addProduct(splat(pa[6 * rs]), b0)
        c7.addProduct(splat(pa[7 * rs]), b0)
        c8.addProduct(splat(pa[8 * rs]), b0)
        c9.addProduct(splat(pa[9 * rs]), b0)
        c10.addProduct(splat(pa[10 * rs]), b0)
        c11.addProduct(splat(pa[11 * rs]), b0)
        #if HYPERGRID_AVX512
        c12.addProduct(splat(pa[12 * rs]), b0)
        c13.addProduct(splat(pa[13 * rs]), b0)
        c14.addProduct(splat(pa[14 * rs]), b0)
        c15.addProduct(splat(pa[15 * rs]), b0)
        #endif
        pa += ps
        pb += w
    }
    for _ in 0..<(kc >> 2) { step(); step(); step(); step() }
    // Straight-line remainder: a rolled remainder loop cost ~10% at k = 10.
    if kc & 2 != 0 { step(); step() }
    if kc & 1 != 0 { step() }
    vstore(c0, c); vstore(c1, c + ldc); vstore(c2, c + 2 * ldc)
    vstore(c3, c + 3 * ldc); vstore(c4, c + 4 * ldc); vstore(c5, c + 5 * ldc)
    vstore(c6, c + 6 * ldc); vstore(c7, c + 7 * ldc); vstore(c8, c + 8 * ldc)
    vstore(c9, c + 9 * ldc); vstore(c10, c + 10 * ldc); vstore(c11, c + 11 * ldc)
    #if HYPERGRID_AVX512
    vstore(c12, c + 12 * ldc); vstore(c13, c + 13 * ldc)
    vstore(c14, c + 14 * ldc); vstore(c15, c + 15 * ldc)
    #endif
}

/// One `tallRows × w` tile with A in place (never packed: see the file comment).
@inline(never)
func tallKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ source: GEMMASource,
                _ b: UnsafePointer<Float>,
                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    switch source {
    case .packed:
        preconditionFailure("the tall kernel only reads A in place")
    case .rows(let lda):
        tallKernelBody(kc, a, rs: lda, ps: 1, b, c, ldc, load: load)
    case .columns(let lda):
        tallKernelBody(kc, a, rs: 1, ps: lda, b, c, ldc, load: load)
    }
}

/// `n ≤ nr`: see the file comment. Same arguments and bits as ``referenceGEMM``.
func narrowGEMM(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                a: UnsafePointer<Float>, lda: Int,
                b: UnsafePointer<Float>, ldb: Int,
                c: UnsafeMutablePointer<Float>, ldc: Int,
                accumulate: Bool, workspace: any GEMMScratch) {
    let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr, w = GEMMBlocking.w
    let width = sliverWidth(n)
    // Regions: packed B (k × width), packed ragged A rows (mr × k), an edge
    // tile big enough for a tall narrow tile or a wide one, transpose scratch.
    let bSize = alignedFloats(k * width)
    let aSize = alignedFloats(k * mr + packSlack)
    let tileSize = alignedFloats(max(tallRows * w, mr * nr))
    let base = workspace.floats(bSize + aSize + tileSize + transposeScratchFloats)
    let bPack = base, aEdge = base + bSize, tile = aEdge + aSize
    packB(layout, b, ldb, p0: 0, kc: k, j0: 0, cols: n, into: bPack,
          scratch: scratchVectors(tile + tileSize))

    let inPlace: GEMMASource
    switch layout {
    case .nn, .nt: inPlace = .rows(lda: lda)
    case .tn: inPlace = .columns(lda: lda)
    }
    /// A's row `i` in place.
    func aRow(_ i: Int) -> UnsafePointer<Float> {
        layout == .tn ? a + i : a + i * lda
    }
    var i0 = 0
    // Tall tiles first (narrow sliver only: a wide tile already has 2·mr chains).
    if width == w {
        while i0 + tallRows <= m {
            let ct = c + i0 * ldc
            if n == w {
                tallKernel(k, aRow(i0), inPlace, bPack, ct, ldc, load: accumulate)
            } else {
                edgeTile(rows: tallRows, cols: n, width: w, tileRows: tallRows, ct, ldc,
                         load: accumulate, tile: tile) { t in
                    tallKernel(k, aRow(i0), inPlace, bPack, t, w, load: accumulate)
                }
            }
            i0 += tallRows
        }
    }
    while i0 < m {
        let rows = min(mr, m - i0)
        var at = aRow(i0)
        var source = inPlace
        if rows < mr {
            // Ragged last rows: reading mr rows in place would run past A.
            packA(layout, a, lda, i0: i0, p0: 0, rows: rows, kc: k, into: aEdge)
            at = UnsafePointer(aEdge)
            source = .packed
        }
        let ct = c + i0 * ldc
        if rows == mr && n == width {
            if width == w {
                narrowKernel(k, at, source, bPack, ct, ldc, load: accumulate)
            } else {
                wideKernel(k, at, source, bPack, ct, ldc, load: accumulate)
            }
        } else {
            edgeTile(rows: rows, cols: n, width: width, ct, ldc, load: accumulate, tile: tile) { t in
                if width == w {
                    narrowKernel(k, at, source, bPack, t, w, load: accumulate)
                } else {
                    wideKernel(k, at, source, bPack, t, nr, load: accumulate)
                }
            }
        }
        i0 += mr
    }
}
