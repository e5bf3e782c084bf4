// The public face of one compiled copy of the GEMM micro-kernels.
//
// This directory is the single source of the blocked GEMM and is compiled twice
// (Package.swift):
//
//   HypergridGEMMAVX2    these files, the build's baseline target (x86-64-v3:
//                        AVX2 + FMA), 8-lane vectors, 6-row tiles;
//   HypergridGEMMAVX512  the same files through symlinks in Sources/HypergridGEMMAVX512,
//                        -march=x86-64-v4 and HYPERGRID_AVX512: 16-lane vectors, 8-row tiles.
//
// HypergridKernel chooses one at start-up from CPUID (`GEMMKernelPath`) and calls
// only that copy. Every entry point here is therefore only ever called after that
// choice: keep it so. The AVX-512 copy must not contain anything HypergridKernel
// runs unconditionally: no public constants read at start-up, no conformances of
// types it does not own. (Internal `static let`s are lazily initialised on first use,
// which only happens inside a GEMM on the chosen path.)
//
// Both copies compute every element as the one FMA chain of the `GEMMContract`
// (see HypergridKernel), so they give the same bits; tests compare both paths
// with the reference GEMM.

/// Packing memory a GEMM call borrows (HypergridKernel's per-thread `GEMMWorkspace`).
public protocol GEMMScratch: AnyObject {
    /// At least `count` floats, 64-byte aligned, contents unspecified. May free the
    /// memory an earlier call returned.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float>
}

/// The operand layouts, as in HypergridKernel's public `GEMMLayout` (which this
/// module cannot import: HypergridKernel imports it).
enum GEMMLayout {
    case nn
    case tn
    case nt
}

/// Entry points of this compiled copy of the GEMM.
public enum GEMMKernels {
    /// Floats in one vector register of this copy (8 or 16).
    public static var lanes: Int { GEMMBlocking.w }

    /// Rows of C in one register tile: a parallel split along rows cuts at multiples of it.
    public static var rowTile: Int { GEMMBlocking.mr }

    /// Columns of C in one wide register tile: a split along columns cuts at multiples of it.
    public static var columnTile: Int { GEMMBlocking.nr }

    /// `C = op(A)·op(B)` (or `C += …` when `accumulate`) on one thread, where op
    /// transposes A when `transposeA` and B when `transposeB` (never both); the
    /// arguments and bits of HypergridKernel's `referenceGEMM`.
    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int,
                                accumulate: Bool, workspace: any GEMMScratch) {
        precondition(!(transposeA && transposeB), "no GEMM layout transposes both operands")
        let layout: GEMMLayout = transposeA ? .tn : transposeB ? .nt : .nn
        blockedGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                    c: c, ldc: ldc, accumulate: accumulate, workspace: workspace)
    }
}
