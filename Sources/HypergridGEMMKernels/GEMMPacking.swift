// Packing copies a block of op(A) or op(B) into the order the micro-kernels
// read it, padding ragged edges with zeros. Packing only moves values: the
// floats the kernels multiply are bit-identical to the ones in A and B.

/// Floats a packed A block needs after its end: the `.tn` fast path may spill
/// `8 - mr` floats past the last sliver.
let packSlack = 16

/// Packs the `rows × kc` block of op(A) starting at (i0, p0) into `mr`-row slivers:
/// sliver `s` holds op(A)[i0 + s*mr + r][p0 + p] at `dst[s*mr*kc + p*mr + r]`.
/// Rows past `rows` are zero. `dst` must have ``packSlack`` floats to spare after
/// the block.
func packA(_ layout: GEMMLayout, _ a: UnsafePointer<Float>, _ lda: Int,
           i0: Int, p0: Int, rows: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
    let mr = GEMMBlocking.mr
    var s = 0
    while s * mr < rows {
        let r0 = s * mr
        let valid = min(mr, rows - r0)
        let out = dst + r0 * kc
        switch layout {
        case .nn, .nt:
            // op(A) row i is A row i: gather one p from each of the mr rows.
            let src = a + (i0 + r0) * lda + p0
            if valid == mr {
                for p in 0..<kc {
                    for r in 0..<mr { out[p * mr + r] = src[r * lda + p] }
                }
            } else {
                for p in 0..<kc {
                    for r in 0..<valid { out[p * mr + r] = src[r * lda + p] }
                    for r in valid..<mr { out[p * mr + r] = 0 }
                }
            }
        case .tn:
            // op(A)[i][p] = A[p][i]: the mr values for one p are contiguous.
            let src = a + p0 * lda + i0 + r0
            if valid == mr && r0 + 8 <= rows {
                // Fast path: one 8-float copy per p (mr is 6 or 8). With mr = 6 each
                // store also writes 2 floats past the sliver row; the next p (or the
                // next sliver, packed later) overwrites them, and the last sliver's
                // spill lands in the `packSlack` floats after the A block. Reading 8
                // stays inside A: `r0 + 8 <= rows` columns exist from src on.
                for p in 0..<kc {
                    let v = UnsafeRawPointer(src + p * lda).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(out + p * mr).storeBytes(of: v, as: SIMD8<Float>.self)
                }
            } else if valid == mr {
                for p in 0..<kc {
                    for r in 0..<mr { out[p * mr + r] = src[p * lda + r] }
                }
            } else {
                for p in 0..<kc {
                    for r in 0..<valid { out[p * mr + r] = src[p * lda + r] }
                    for r in valid..<mr { out[p * mr + r] = 0 }
                }
            }
        }
        s += 1
    }
}

/// Width of the packed B sliver that starts `cols` columns before the end of
/// a panel: `nr`, or `w` when at most one vector's worth of columns is left.
@inline(__always)
func sliverWidth(_ cols: Int) -> Int {
    cols <= GEMMBlocking.w ? GEMMBlocking.w : GEMMBlocking.nr
}

/// Packs the `kc × cols` block of op(B) starting at (p0, j0) into slivers:
/// the sliver starting at panel column `jr` (a multiple of `nr`) begins at
/// `dst + jr*kc` and holds op(B)[p0 + p][j0 + jr + j] at `[p*width + j]`,
/// `width = sliverWidth(cols - jr)`. Columns past `cols` are zero.
///
/// `scratch` (2w vectors) is only used for the in-register transposes of `.nt`.
func packB(_ layout: GEMMLayout, _ b: UnsafePointer<Float>, _ ldb: Int,
           p0: Int, kc: Int, j0: Int, cols: Int, into dst: UnsafeMutablePointer<Float>,
           scratch: UnsafeMutablePointer<GEMMVector>) {
    let w = GEMMBlocking.w
    let nr = GEMMBlocking.nr
    var jr = 0
    while jr < cols {
        let width = sliverWidth(cols - jr)
        let valid = min(width, cols - jr)
        let out = dst + jr * kc
        switch layout {
        case .nn, .tn:
            // op(B) = B is k×n row-major: each p contributes a contiguous run.
            let src = b + p0 * ldb + j0 + jr
            if valid == nr {
                for p in 0..<kc {
                    let row = src + p * ldb
                    vstore(vload(row), out + p * nr)
                    vstore(vload(row + w), out + p * nr + w)
                }
            } else if valid == w {
                for p in 0..<kc { vstore(vload(src + p * ldb), out + p * w) }
            } else {
                for p in 0..<kc {
                    for j in 0..<valid { out[p * width + j] = src[p * ldb + j] }
                    for j in valid..<width { out[p * width + j] = 0 }
                }
            }
        case .nt:
            // op(B)[p][j] = B[j][p]: transpose w×w blocks in registers, then
            // finish the ragged p tail and column remainder one value at a time.
            let src = b + (j0 + jr) * ldb + p0
            let pFull = kc - kc % w
            let jFull = valid - valid % w
            var jb = 0
            while jb < jFull {
                var pb = 0
                while pb < pFull {
                    transposeSquare(src + jb * ldb + pb, ldb, out + pb * width + jb, width,
                                    scratch: scratch)
                    pb += w
                }
                jb += w
            }
            for j in 0..<valid {
                let row = src + j * ldb
                let pStart = j < jFull ? pFull : 0
                for p in pStart..<kc { out[p * width + j] = row[p] }
            }
            if valid < width {
                for p in 0..<kc {
                    for j in valid..<width { out[p * width + j] = 0 }
                }
            }
        }
        jr += nr
    }
}
