/// The three row-major layouts a multi-layer perceptron's forward and backward
/// passes need. In every case `C` is `m×n` and the reduction runs over `k`.
///
/// | layout | A stored as | B stored as | computes      | used for                  |
/// |--------|-------------|-------------|---------------|---------------------------|
/// | `.nn`  | `m×k`       | `k×n`       | `C = A·B`     | forward: `X·W`            |
/// | `.tn`  | `k×m`       | `k×n`       | `C = Aᵀ·B`    | weight gradient: `Xᵀ·dY`  |
/// | `.nt`  | `m×k`       | `n×k`       | `C = A·Bᵀ`    | input gradient: `dY·Wᵀ`   |
public enum GEMMLayout: Sendable, CaseIterable {
    case nn
    case tn
    case nt
}

/// Bit-reproducibility contract shared by every GEMM in this module.
///
/// Each output element is one fused multiply-add chain over `p = 0, 1, …, k-1`
/// in increasing order, starting from `0` (or from the old `C[i][j]` when
/// `accumulate` is true):
///
///     acc = accumulate ? C[i][j] : 0
///     for p in 0..<k { acc = fma(A[i][p], B[p][j], acc) }
///     C[i][j] = acc
///
/// Blocking over `k` stores and reloads the partial sum without changing the
/// chain, and parallel splits only ever partition `m` and `n`. So the fast
/// kernels are bit-identical to ``referenceGEMM(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)``
/// on every shape, vector width (AVX2 or AVX-512) and thread count — tests
/// compare them with `==`, not a tolerance.
public enum GEMMContract {}

/// The plain-loop reference GEMM: the specification the fast kernels are tested against.
///
/// - Parameters:
///   - layout: which operands are transposed (see ``GEMMLayout``).
///   - m, n, k: `C` is `m×n`; the reduction length is `k`.
///   - a, lda: `A` and its row stride (`≥ k` for `.nn`/`.nt`, `≥ m` for `.tn`).
///   - b, ldb: `B` and its row stride (`≥ n` for `.nn`/`.tn`, `≥ k` for `.nt`).
///   - c, ldc: `C` and its row stride (`≥ n`).
///   - accumulate: `C += op(A)·op(B)` when true, `C = op(A)·op(B)` when false.
public func referenceGEMM(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                          a: UnsafePointer<Float>, lda: Int,
                          b: UnsafePointer<Float>, ldb: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int,
                          accumulate: Bool) {
    for i in 0..<m {
        for j in 0..<n {
            var acc: Float = accumulate ? c[i * ldc + j] : 0
            for p in 0..<k {
                let aip: Float
                let bpj: Float
                switch layout {
                case .nn: aip = a[i * lda + p]; bpj = b[p * ldb + j]
                case .tn: aip = a[p * lda + i]; bpj = b[p * ldb + j]
                case .nt: aip = a[i * lda + p]; bpj = b[j * ldb + p]
                }
                acc = acc.addingProduct(aip, bpj)
            }
            c[i * ldc + j] = acc
        }
    }
}
