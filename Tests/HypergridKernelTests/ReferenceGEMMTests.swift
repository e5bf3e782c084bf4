import Testing
@testable import HypergridKernel

@Suite struct ReferenceGEMMTests {
    @Test func twoByTwo() {
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        referenceGEMM(.nn, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2, accumulate: false)
        #expect(c == [19, 22, 43, 50])
    }
}
