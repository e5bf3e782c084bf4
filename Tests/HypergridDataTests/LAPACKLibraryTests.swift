import Foundation
import HypergridKernel
import Testing
@testable import HypergridPreprocessing

/// LAPACK, loaded at first use: it loads, OpenBLAS gets the kernels of the GEMM path this CPU
/// runs (unless the user chose), and the eigen-solver it backs finds known eigenpairs.
@Suite struct LAPACKLibraryTests {
    @Test func coreTypeFollowsTheKernelPath() {
        #expect(LAPACKLibrary.openBLASCoreType(for: .avx512, hasAVX2: true) == "SkylakeX")
        #expect(LAPACKLibrary.openBLASCoreType(for: .avx2, hasAVX2: true) == "Haswell")
        #expect(LAPACKLibrary.openBLASCoreType(for: .avx2, hasAVX2: false) == nil)
    }

    @Test func loadsAndSolves() throws {
        let lapack = try LAPACKLibrary.shared.get()
        if let kernels = lapack.kernels {
            #expect(kernels.hasPrefix("OpenBLAS ") && kernels.contains("thread"), "\(kernels)")
        }
        // The variables were set before loading (a user's own values are kept).
        #expect(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init).map { $0 >= 1 } == true)
        // diag(1, …, 8) turned by a fixed rotation in the (0, 7) plane: eigenvalues 8 … 1.
        let n = 8
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { a[i * n + i] = Double(i + 1) }
        let (c, s) = (0.6, 0.8)
        let (x, y) = (a[0], a[7 * n + 7])
        (a[0], a[7 * n + 7], a[7], a[7 * n]) = (c * c * x + s * s * y, s * s * x + c * c * y, c * s * (y - x), c * s * (y - x))
        let result = try SymmetricEigen.largest(&a, n: n) { _ in 2 }
        #expect(zip(result.descending, (1...8).reversed().map(Double.init)).allSatisfy { abs($0 - $1) < 1e-12 })
        // The leading eigenvector is ±(s, 0, …, 0, c) (the rotated e₇).
        let v = Array(result.vectors[0..<n])
        #expect(abs(abs(v[0]) - s) < 1e-12 && abs(abs(v[7]) - c) < 1e-12 && v[1..<7].allSatisfy { abs($0) < 1e-12 })
    }
}
