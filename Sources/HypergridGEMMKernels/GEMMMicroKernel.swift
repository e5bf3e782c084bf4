// Register-blocked micro-kernels. Each computes one `mr × width` tile of C:
//
//     C[r][j] = (load ? C[r][j] : 0);  for p in 0..<kc { C[r][j] = fma(A(r, p), B[p][j], C[r][j]) }
//
// one lane per (r, j), p increasing: exactly the chain of ``GEMMContract``.
// `load` is true when accumulating into the caller's C or when continuing a
// partial sum left by the previous k block.
//
// A(r, p) is read at `a[r * rs + p * ps]`, so one kernel body serves packed A
// (rs = 1, ps = mr), row-major A in place (rs = lda, ps = 1, layouts .nn/.nt) and
// transposed A in place (rs = 1, ps = lda, layout .tn). The bodies are
// `@inline(__always)` and the `@inline(never)` entry points below pass the strides
// as constants where they are known, so each variant gets its own tight loop.
// B is always a packed sliver: `width` floats per p, contiguous.

@inline(__always)
func vload(_ p: UnsafePointer<Float>) -> GEMMVector {
    // Unaligned load: packed buffers are aligned, but C rows and tiles may not be.
    UnsafeRawPointer(p).loadUnaligned(as: GEMMVector.self)
}

@inline(__always)
func vstore(_ v: GEMMVector, _ p: UnsafeMutablePointer<Float>) {
    // storeBytes has no alignment requirement (SE-0349).
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: GEMMVector.self)
}

@inline(__always)
func splat(_ x: Float) -> GEMMVector { GEMMVector(repeating: x) }

/// `mr × 2w` tile: two vectors per row, `2 * mr` accumulators.
@inline(__always)
func wideKernelBody(_ kc: Int, _ a: UnsafePointer<Float>, rs: Int, ps: Int,
                    _ b: UnsafePointer<Float>,
                    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    let w = GEMMBlocking.w
    let z = GEMMVector()
    var c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z
    var c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z
    #if HYPERGRID_AVX512
    var c60 = z, c61 = z, c70 = z, c71 = z
    #endif
    if load {
        c00 = vload(c); c01 = vload(c + w)
        c10 = vload(c + ldc); c11 = vload(c + ldc + w)
        c20 = vload(c + 2 * ldc); c21 = vload(c + 2 * ldc + w)
        c30 = vload(c + 3 * ldc); c31 = vload(c + 3 * ldc + w)
        c40 = vload(c + 4 * ldc); c41 = vload(c + 4 * ldc + w)
        c50 = vload(c + 5 * ldc); c51 = vload(c + 5 * ldc + w)
        #if HYPERGRID_AVX512
        c60 = vload(c + 6 * ldc); c61 = vload(c + 6 * ldc + w)
        c70 = vload(c + 7 * ldc); c71 = vload(c + 7 * ldc + w)
        #endif
    }
    var pa = a
    var pb = b
    @inline(__always) func step() {
        let b0 = vload(pb), b1 = vload(pb + w)
        var s = splat(pa[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
        s = splat(pa[rs]); c10.addProduct(s, b0); c11.addProduct(s, b1)
        s = splat(pa[2 * rs]); c20.addProduct(s, b0); c21.addProduct(s, b1)
        s = splat(pa[3 * rs]); c30.addProduct(s, b0); c31.addProduct(s, b1)
        s = splat(pa[4 * rs]); c40.addProduct(s, b0); c41.addProduct(s, b1)
        s = splat(pa[5 * rs]); c50.addProduct(s, b0); c51.addProduct(s, b1)
        #if HYPERGRID_AVX512
        s = splat(pa[6 * rs]); c60.addProduct(s, b0); c61.addProduct(s, b1)
        s = splat(pa[7 * rs]); c70.addProduct(s, b0); c71.addProduct(s, b1)
        #endif
        pa += ps
        pb += 2 * w
    }
    #if HYPERGRID_AVX512
    // Unrolled by 2 only: at 4, LLVM hoists the broadcasts of later steps in
    // the in-place (.rows) variant and spills them to the stack.
    for _ in 0..<(kc >> 1) { step(); step() }
    #else
    for _ in 0..<(kc >> 2) { step(); step(); step(); step() }
    // Straight-line remainder: a rolled remainder loop cost ~10% at k = 10.
    if kc & 2 != 0 { step(); step() }
    #endif
    if kc & 1 != 0 { step() }
    vstore(c00, c); vstore(c01, c + w)
    vstore(c10, c + ldc); vstore(c11, c + ldc + w)
    vstore(c20, c + 2 * ldc); vstore(c21, c + 2 * ldc + w)
    vstore(c30, c + 3 * ldc); vstore(c31, c + 3 * ldc + w)
    vstore(c40, c + 4 * ldc); vstore(c41, c + 4 * ldc + w)
    vstore(c50, c + 5 * ldc); vstore(c51, c + 5 * ldc + w)
    #if HYPERGRID_AVX512
    vstore(c60, c + 6 * ldc); vstore(c61, c + 6 * ldc + w)
    vstore(c70, c + 7 * ldc); vstore(c71, c + 7 * ldc + w)
    #endif
}

/// `mr × w` tile: one vector per row. Used when at most `w` columns remain
/// (the 10-class layer, ragged right edges), where the wide tile would spend
/// half its FMAs on padding.
@inline(__always)
func narrowKernelBody(_ kc: Int, _ a: UnsafePointer<Float>, rs: Int, ps: Int,
                      _ b: UnsafePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    let w = GEMMBlocking.w
    let z = GEMMVector()
    var c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z
    #if HYPERGRID_AVX512
    var c6 = z, c7 = z
    #endif
    if load {
        c0 = vload(c); c1 = vload(c + ldc); c2 = vload(c + 2 * ldc)
        c3 = vload(c + 3 * ldc); c4 = vload(c + 4 * ldc); c5 = vload(c + 5 * ldc)
        #if HYPERGRID_AVX512
        c6 = vload(c + 6 * ldc); c7 = vload(c + 7 * ldc)
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
        #if HYPERGRID_AVX512
        c6.addProduct(splat(pa[6 * rs]), b0)
        c7.addProduct(splat(pa[7 * rs]), b0)
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
    #if HYPERGRID_AVX512
    vstore(c6, c + 6 * ldc); vstore(c7, c + 7 * ldc)
    #endif
}

/// Where a kernel reads A from.
enum GEMMASource {
    /// Packed `mr`-row sliver: A(r, p) at `a[p * mr + r]`.
    case packed
    /// Row-major A in place (.nn/.nt): A(r, p) at `a[r * lda + p]`.
    case rows(lda: Int)
    /// Transposed A in place (.tn): A(r, p) at `a[p * lda + r]`.
    case columns(lda: Int)
}

/// One full `mr × 2w` tile of C at `c` (row stride `ldc`).
@inline(never)
func wideKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ source: GEMMASource,
                _ b: UnsafePointer<Float>,
                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    switch source {
    case .packed:
        wideKernelBody(kc, a, rs: 1, ps: GEMMBlocking.mr, b, c, ldc, load: load)
    case .rows(let lda):
        wideKernelBody(kc, a, rs: lda, ps: 1, b, c, ldc, load: load)
    case .columns(let lda):
        wideKernelBody(kc, a, rs: 1, ps: lda, b, c, ldc, load: load)
    }
}

/// One full `mr × w` tile of C at `c` (row stride `ldc`).
@inline(never)
func narrowKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ source: GEMMASource,
                  _ b: UnsafePointer<Float>,
                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool) {
    switch source {
    case .packed:
        narrowKernelBody(kc, a, rs: 1, ps: GEMMBlocking.mr, b, c, ldc, load: load)
    case .rows(let lda):
        narrowKernelBody(kc, a, rs: lda, ps: 1, b, c, ldc, load: load)
    case .columns(let lda):
        narrowKernelBody(kc, a, rs: 1, ps: lda, b, c, ldc, load: load)
    }
}

/// A tile of which only `rows × cols` lie inside C: the kernel runs on the
/// `tileRows × width` scratch `tile` and only the valid part is copied in and out,
/// so nothing outside C is read or written. Padding lanes see zeros from
/// the packed operands and are discarded; valid lanes follow the same chain.
@inline(__always)
func edgeTile(rows: Int, cols: Int, width: Int, tileRows: Int = GEMMBlocking.mr,
              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, load: Bool,
              tile: UnsafeMutablePointer<Float>,
              _ kernel: (UnsafeMutablePointer<Float>) -> Void) {
    if load {
        // Zero the padding too: stale bits there could be subnormals, which
        // cost microcode assists even though the lanes are thrown away.
        tile.update(repeating: 0, count: tileRows * width)
        for r in 0..<rows {
            for j in 0..<cols { tile[r * width + j] = c[r * ldc + j] }
        }
    }
    kernel(tile)
    for r in 0..<rows {
        for j in 0..<cols { c[r * ldc + j] = tile[r * width + j] }
    }
}
