import Testing
@testable import HypergridKernel

/// Explicit workspaces, the per-thread default, and GEMM on a thread team.
@Suite struct GEMMWorkspaceAndThreadsTests {
    static let shapes: [GEMMShape] = [
        GEMMShape(m: 200, n: 256, k: 99),
        GEMMShape(m: 97, n: 301, k: 129, pad: 3),
        GEMMShape(m: 1000, n: 256, k: 200),
        GEMMShape(m: 200, n: 1100, k: 256),
        GEMMShape(m: 500, n: 10, k: 64, pad: 1),
    ]

    @Test(arguments: shapes, GEMMLayout.allCases)
    func everyThreadCountMatchesReference(shape: GEMMShape, layout: GEMMLayout) {
        let p = GEMMProblem(layout, m: shape.m, n: shape.n, k: shape.k, pad: shape.pad, seed: 7)
        for accumulate in [false, true] {
            let expected = p.expected(accumulate: accumulate)
            for threads in [1, 2, 3, 4, 7] {
                let team = ThreadTeam(threads: threads)
                // Each path splits at its own tile sizes; the bits must not depend on either.
                for path in GEMMKernelPath.supported {
                    let actual = p.actual { a, b, c in
                        gemm(layout, m: p.m, n: p.n, k: p.k, a: a, lda: p.lda, b: b, ldb: p.ldb,
                             c: c, ldc: p.ldc, accumulate: accumulate, team: team, finish: .none,
                             path: path)
                    }
                    #expect(actual == expected, "threads=\(threads) accumulate=\(accumulate) \(path)")
                }
            }
        }
    }

    @Test(arguments: GEMMLayout.allCases)
    func explicitWorkspaceMatchesReferenceAndStopsGrowing(layout: GEMMLayout) {
        let workspace = GEMMWorkspace()
        #expect(workspace.reservedFloats == 0)
        let big = GEMMProblem(layout, m: 200, n: 256, k: 300, pad: 2, seed: 3)
        let small = GEMMProblem(layout, m: 31, n: 40, k: 17, seed: 4)
        var reserved = 0
        for (round, p) in [big, small, big, small].enumerated() {
            let (expected, actual) = p.run(accumulate: round % 2 == 1) { a, b, c in
                gemm(layout, m: p.m, n: p.n, k: p.k, a: a, lda: p.lda, b: b, ldb: p.ldb,
                     c: c, ldc: p.ldc, accumulate: round % 2 == 1, workspace: workspace)
            }
            #expect(actual == expected)
            if round == 0 {
                reserved = workspace.reservedFloats
                #expect(reserved > 0)
            } else {
                // Same or smaller problems reuse the buffer: no further allocation.
                #expect(workspace.reservedFloats == reserved)
            }
        }
    }

    @Test func currentWorkspaceIsPerThreadAndReused() {
        let first = GEMMWorkspace.current
        #expect(first === GEMMWorkspace.current)
        let p = GEMMProblem(.nn, m: 64, n: 64, k: 64, seed: 5)
        _ = p.run(accumulate: false) { a, b, c in
            gemm(.nn, m: 64, n: 64, k: 64, a: a, lda: p.lda, b: b, ldb: p.ldb,
                 c: c, ldc: p.ldc, accumulate: false)
        }
        let reserved = first.reservedFloats
        #expect(reserved > 0)
        _ = p.run(accumulate: true) { a, b, c in
            gemm(.nn, m: 64, n: 64, k: 64, a: a, lda: p.lda, b: b, ldb: p.ldb,
                 c: c, ldc: p.ldc, accumulate: true)
        }
        #expect(GEMMWorkspace.current === first)
        #expect(first.reservedFloats == reserved)
    }
}
