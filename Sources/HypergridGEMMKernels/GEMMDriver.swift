// The single-threaded blocked GEMM (BLIS loop order):
//
//   for jc in n by nc:            B panel  kc × nc  → packed once per (jc, pc), L2
//     for pc in k by kc:          k blocks: C holds the partial sums in between
//       for ic in m by mc:        A block  mc × kc  → packed (.tn) or read in place, L2
//         for jr in nc by nr:     B sliver kc × nr  → L1
//           for ir in mc by mr:   micro-kernel, C tile in registers
//
// Each C element's chain runs through the k blocks in increasing pc and, within
// a block, through increasing p in one register lane: the ``GEMMContract`` order.
//
// Few columns take other paths first: `.tn` with n ≤ 12 vectorizes over rows
// (GEMMTransposedNarrow.swift), any other n ≤ nr packs B once and reads A in
// place (GEMMNarrow.swift).

/// Rounds `x` up to a multiple of 16 floats (64 bytes) so workspace regions stay aligned.
@inline(__always)
func alignedFloats(_ x: Int) -> Int { (x + 15) & ~15 }

/// Floats of workspace for the transpose scratch (2w vectors), after the
/// `mr × nr` edge tile (a multiple of 16 floats, so the scratch stays aligned).
let transposeScratchFloats = 2 * GEMMBlocking.w * GEMMBlocking.w

/// Views workspace floats as vectors. The workspace is raw allocated memory
/// that only ever holds trivial values, so rebinding it is sound.
@inline(__always)
func scratchVectors(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<GEMMVector> {
    UnsafeMutableRawPointer(p).bindMemory(to: GEMMVector.self, capacity: 2 * GEMMBlocking.w)
}

/// Serial GEMM on one workspace; same arguments and bits as ``referenceGEMM``.
func blockedGEMM(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool, workspace: any GEMMScratch) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // Empty chain: C keeps its value, or becomes the starting 0.
        if !accumulate {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        }
        return
    }
    if layout == .tn && n <= maxTransposedColumns && m >= transposedRows {
        transposedNarrowGEMM(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                             c: c, ldc: ldc, accumulate: accumulate, workspace: workspace)
        return
    }
    if n <= GEMMBlocking.nr {
        narrowGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                   c: c, ldc: ldc, accumulate: accumulate, workspace: workspace)
        return
    }
    let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr
    let kcMax = min(GEMMBlocking.kc, k)
    let mcMax = min(GEMMBlocking.mc, (m + mr - 1) / mr * mr)
    let ncMax = min(GEMMBlocking.nc, (n + nr - 1) / nr * nr)
    let aSize = alignedFloats(mcMax * kcMax + packSlack)
    let bSize = alignedFloats(ncMax * kcMax)
    let base = workspace.floats(aSize + bSize + mr * nr + transposeScratchFloats)
    let aPack = base, bPack = base + aSize, tile = base + aSize + bSize
    let scratch = scratchVectors(tile + mr * nr)

    var jc = 0
    while jc < n {
        let nc = min(ncMax, n - jc)
        var pc = 0
        while pc < k {
            let kc = min(kcMax, k - pc)
            let load = accumulate || pc > 0
            packB(layout, b, ldb, p0: pc, kc: kc, j0: jc, cols: nc, into: bPack,
                  scratch: scratch)
            var ic = 0
            while ic < m {
                let mc = min(mcMax, m - ic)
                let ragged = mc % mr
                if GEMMBlocking.rowMajorAInPlace && layout != .tn {
                    // Only the ragged last rows are packed; full tiles read A in place.
                    if ragged > 0 {
                        packA(layout, a, lda, i0: ic + mc - ragged, p0: pc, rows: ragged,
                              kc: kc, into: aPack)
                    }
                    macroKernel(mc: mc, nc: nc, kc: kc,
                                a: a + ic * lda + pc, source: .rows(lda: lda), tileStride: lda,
                                aPack: aPack, bPack: bPack,
                                c: c + ic * ldc + jc, ldc: ldc, load: load, tile: tile)
                } else {
                    packA(layout, a, lda, i0: ic, p0: pc, rows: mc, kc: kc, into: aPack)
                    macroKernel(mc: mc, nc: nc, kc: kc, a: aPack, source: .packed, tileStride: kc,
                                aPack: aPack + (mc - ragged) * kc, bPack: bPack,
                                c: c + ic * ldc + jc, ldc: ldc, load: load, tile: tile)
                }
                ic += mc
            }
            pc += kc
        }
        jc += nc
    }
}

/// All micro-tiles of one `mc × kc` A block against one packed `kc × nc` B panel.
/// Full row tile `t` reads A at `a + t * mr * tileStride` through `source`; a
/// ragged last tile (fewer than `mr` rows) reads the packed sliver at `aPack`.
private func macroKernel(mc: Int, nc: Int, kc: Int,
                         a: UnsafePointer<Float>, source: GEMMASource, tileStride: Int,
                         aPack: UnsafePointer<Float>, bPack: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, load: Bool,
                         tile: UnsafeMutablePointer<Float>) {
    let mr = GEMMBlocking.mr, nr = GEMMBlocking.nr, w = GEMMBlocking.w
    var jr = 0
    while jr < nc {
        let cols = min(nr, nc - jr)
        let width = sliverWidth(nc - jr)
        let bs = bPack + jr * kc
        var ir = 0
        while ir < mc {
            let rows = min(mr, mc - ir)
            let (at, src) = rows == mr ? (a + ir * tileStride, source) : (aPack, .packed)
            let ct = c + ir * ldc + jr
            if rows == mr && cols == width {
                if width == w {
                    narrowKernel(kc, at, src, bs, ct, ldc, load: load)
                } else {
                    wideKernel(kc, at, src, bs, ct, ldc, load: load)
                }
            } else {
                edgeTile(rows: rows, cols: cols, width: width, ct, ldc, load: load, tile: tile) { t in
                    if width == w {
                        narrowKernel(kc, at, src, bs, t, w, load: load)
                    } else {
                        wideKernel(kc, at, src, bs, t, nr, load: load)
                    }
                }
            }
            ir += mr
        }
        jr += nr
    }
}
