import Testing
@testable import HypergridKernel

/// The fast GEMM must equal the reference bit for bit (``GEMMContract``), on every
/// kernel path this CPU runs (AVX2 and, where present, AVX-512: the same bits either way).
@Suite struct GEMMBitExactTests {
    /// The training shapes from the issue, plus tiny and ragged ones. m×n×k.
    static let trainingShapes: [GEMMShape] = [
        GEMMShape(m: 1, n: 1, k: 1),
        GEMMShape(m: 7, n: 13, k: 5),
        GEMMShape(m: 200, n: 10, k: 256),
        GEMMShape(m: 256, n: 10, k: 200),
        GEMMShape(m: 200, n: 256, k: 10),
        GEMMShape(m: 200, n: 256, k: 99),
        GEMMShape(m: 99, n: 256, k: 200),
        GEMMShape(m: 200, n: 99, k: 256),
        GEMMShape(m: 200, n: 256, k: 3072),
    ]

    /// Edges of every blocking parameter: widths around 8/16/32 lanes and the
    /// 6/8-row tiles, k across the 256 block, n across the 1024 panel, and
    /// leading dimensions larger than the logical width.
    static let edgeShapes: [GEMMShape] = [
        GEMMShape(m: 5, n: 7, k: 3),
        GEMMShape(m: 6, n: 8, k: 1),
        GEMMShape(m: 8, n: 16, k: 2),
        GEMMShape(m: 9, n: 17, k: 257, pad: 3),
        GEMMShape(m: 13, n: 31, k: 300, pad: 1),
        GEMMShape(m: 47, n: 33, k: 513, pad: 5),
        GEMMShape(m: 250, n: 65, k: 40, pad: 7),
        GEMMShape(m: 7, n: 4100, k: 3, pad: 2),
        GEMMShape(m: 3, n: 9, k: 700, pad: 4),
        GEMMShape(m: 121, n: 24, k: 77, pad: 16),
        // .tn with n ≤ 12 vectorizes over rows: whole 16/32-row tiles plus a ragged rest.
        GEMMShape(m: 45, n: 12, k: 33, pad: 2),
        GEMMShape(m: 70, n: 3, k: 300, pad: 1),
        GEMMShape(m: 64, n: 13, k: 9),
        // n exactly one or two vectors: tall/wide tiles stored straight into C.
        GEMMShape(m: 40, n: 16, k: 20),
        GEMMShape(m: 30, n: 8, k: 50, pad: 1),
    ]

    @Test(arguments: trainingShapes, GEMMLayout.allCases)
    func trainingShapes(shape: GEMMShape, layout: GEMMLayout) {
        for accumulate in [false, true] {
            check(shape, layout, accumulate: accumulate)
        }
    }

    @Test(arguments: edgeShapes, GEMMLayout.allCases)
    func edgeShapes(shape: GEMMShape, layout: GEMMLayout) {
        for accumulate in [false, true] {
            check(shape, layout, accumulate: accumulate)
        }
    }

    @Test(arguments: GEMMLayout.allCases)
    func emptyReductionZeroesOrKeepsC(layout: GEMMLayout) {
        for accumulate in [false, true] {
            let p = GEMMProblem(layout, m: 9, n: 20, k: 0, pad: 2)
            for path in GEMMKernelPath.supported {
                let (expected, actual) = p.run(accumulate: accumulate) { a, b, c in
                    gemm(layout, m: p.m, n: p.n, k: 0, a: a, lda: p.lda, b: b, ldb: p.ldb,
                         c: c, ldc: p.ldc, accumulate: accumulate, path: path)
                }
                #expect(actual == expected, "\(path)")
            }
        }
    }

    private func check(_ shape: GEMMShape, _ layout: GEMMLayout, accumulate: Bool) {
        let p = GEMMProblem(layout, m: shape.m, n: shape.n, k: shape.k, pad: shape.pad,
                            seed: UInt64(shape.m * 131 + shape.n * 7 + shape.k))
        let expected = p.expected(accumulate: accumulate)
        for path in GEMMKernelPath.supported {
            let actual = p.actual { a, b, c in
                gemm(layout, m: p.m, n: p.n, k: p.k, a: a, lda: p.lda, b: b, ldb: p.ldb,
                     c: c, ldc: p.ldc, accumulate: accumulate, path: path)
            }
            let mismatches = zip(expected, actual).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(shape.testDescription) \(layout) accumulate=\(accumulate) \(path)")
        }
    }
}
