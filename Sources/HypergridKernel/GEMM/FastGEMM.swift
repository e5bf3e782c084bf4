/// The GEMM every layer calls: `C = op(A)·op(B)` or `C += op(A)·op(B)`, with
/// `C` `m×n` and reduction length `k` (see ``GEMMLayout`` for op and strides).
/// Same arguments and same bits as ``referenceGEMM(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)``,
/// see ``GEMMContract``.
///
/// Packing memory comes from the calling thread's ``GEMMWorkspace/current``,
/// so after the first call at a given size this allocates nothing. The
/// micro-kernels are those of ``GEMMKernelPath/active``.
///
/// - Parameters:
///   - layout: which operands are transposed (see ``GEMMLayout``).
///   - m, n, k: `C` is `m×n`; the reduction length is `k` (`k = 0` leaves `C`,
///     or zeroes it when `accumulate` is false).
///   - a, lda: `A` (`m×k` for `.nn`/`.nt`, `k×m` for `.tn`) and its row stride.
///   - b, ldb: `B` (`k×n` for `.nn`/`.tn`, `n×k` for `.nt`) and its row stride.
///   - c, ldc: `C` (`m×n`) and its row stride; must not overlap `A` or `B`.
///   - accumulate: `C += op(A)·op(B)` when true, `C = op(A)·op(B)` when false.
public func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool) {
    GEMMProfile.timed(m: m, n: n, k: k) {
        blockedGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                    c: c, ldc: ldc, accumulate: accumulate, workspace: .current, path: .active)
    }
}

/// ``gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)`` with explicit packing memory.
///
/// - Parameter workspace: grown on demand and reused; must not be used by two
///   threads at once.
public func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool, workspace: GEMMWorkspace) {
    GEMMProfile.timed(m: m, n: n, k: k) {
        blockedGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                    c: c, ldc: ldc, accumulate: accumulate, workspace: workspace, path: .active)
    }
}

/// ``gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)`` on `path`'s micro-kernels rather than
/// ``GEMMKernelPath/active``'s: the tests run every path this CPU supports side by side.
func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, lda: Int,
          b: UnsafePointer<Float>, ldb: Int,
          c: UnsafeMutablePointer<Float>, ldc: Int,
          accumulate: Bool, path: GEMMKernelPath) {
    blockedGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, accumulate: accumulate, workspace: .current, path: path)
}
