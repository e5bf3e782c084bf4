/// The GEMM every layer calls. Same arguments and same bits as
/// ``referenceGEMM(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)``, see ``GEMMContract``.
///
/// PLACEHOLDER until the blocked SIMD kernel lands: forwards to the reference.
public func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool) {
    referenceGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                  c: c, ldc: ldc, accumulate: accumulate)
}
