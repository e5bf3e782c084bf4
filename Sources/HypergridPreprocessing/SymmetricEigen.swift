import CLAPACK
import HypergridData

/// Every eigenvalue of a symmetric matrix, and the eigenvectors of the largest few only.
///
/// PCA keeps the `k` leading axes (about 100 of CIFAR-10's 3,072), so computing all `n`
/// eigenvectors, as `dsyevd` does, wastes most of the work: its divide and conquer and its
/// back-transformation are each about as costly as the reduction to tridiagonal form. This
/// is what LAPACK's `dsyevr` does inside, with a step in between that `dsyevr` lacks: `k`
/// depends on every eigenvalue (the share of the variance), so all of them are computed from
/// the tridiagonal form first (`dsterf`, O(n²)), then only the `k` eigenvectors (`dstemr`,
/// MRRR, O(n·k)), which `dormtr` turns into eigenvectors of the matrix.
enum SymmetricEigen {
    struct Result {
        /// All `n` eigenvalues, largest first.
        var descending: [Double]
        /// `k × n` row-major: row `r` is the unit eigenvector of `descending[r]`.
        var vectors: [Double]
    }

    /// Decomposes the symmetric `n × n` `matrix` (overwritten); `keep` receives the
    /// eigenvalues, largest first, and returns how many leading eigenvectors to compute.
    static func largest(_ matrix: inout [Double], n: Int, keep: ([Double]) -> Int) throws -> Result {
        let lapack = try LAPACKLibrary.shared.get()
        let (dsytrd_, dsterf_, dstemr_, dormtr_) = (lapack.dsytrd, lapack.dsterf, lapack.dstemr, lapack.dormtr)
        var n32 = Int32(n), info: Int32 = 0
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: max(n, 1))
        var tau = [Double](repeating: 0, count: max(n - 1, 1))
        // A symmetric row-major matrix is its own column-major transpose: "U" reads either.
        var uplo = CChar(UInt8(ascii: "U"))
        var query = 0.0, lwork: Int32 = -1
        dsytrd_(&uplo, &n32, &matrix, &n32, &d, &e, &tau, &query, &lwork, &info, 1)
        try check(info, "dsytrd", "workspace query")
        lwork = Int32(query.rounded(.up))
        var work = [Double](repeating: 0, count: Int(lwork))
        dsytrd_(&uplo, &n32, &matrix, &n32, &d, &e, &tau, &work, &lwork, &info, 1)
        try check(info, "dsytrd", "reduction to tridiagonal form")

        var values = d, offDiagonal = e
        dsterf_(&n32, &values, &offDiagonal, &info)
        try check(info, "dsterf", "eigenvalues")
        let descending = Array(values.reversed())
        let k = min(max(keep(descending), 0), n)
        guard k > 0 else { return Result(descending: descending, vectors: []) }

        // The k largest: indices n−k+1 ... n in LAPACK's ascending, 1-based order.
        var jobz = CChar(UInt8(ascii: "V")), range = CChar(UInt8(ascii: "I"))
        var vl = 0.0, vu = 0.0, il = Int32(n - k + 1), iu = Int32(n), found: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var ldz = n32, nzc = Int32(k), tryrac: Int32 = 1
        var support = [Int32](repeating: 0, count: 2 * k)
        var iquery: Int32 = 0, liwork: Int32 = -1
        lwork = -1
        dstemr_(&jobz, &range, &n32, &d, &e, &vl, &vu, &il, &iu, &found, &w, &z, &ldz, &nzc, &support, &tryrac,
                &query, &lwork, &iquery, &liwork, &info, 1, 1)
        try check(info, "dstemr", "workspace query")
        lwork = Int32(query.rounded(.up))
        liwork = iquery
        work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dstemr_(&jobz, &range, &n32, &d, &e, &vl, &vu, &il, &iu, &found, &w, &z, &ldz, &nzc, &support, &tryrac,
                &work, &lwork, &iwork, &liwork, &info, 1, 1)
        try check(info, "dstemr", "eigenvectors of the tridiagonal form")
        guard found == Int32(k) else {
            throw DatasetError(.numericalFailure, "LAPACK dstemr found \(found) of the \(k) eigenvectors PCA keeps.")
        }

        // Z ← Q·Z: the tridiagonal form's eigenvectors become the matrix's (column-major n × k).
        var side = CChar(UInt8(ascii: "L")), trans = CChar(UInt8(ascii: "N")), columns = Int32(k)
        lwork = -1
        dormtr_(&side, &uplo, &trans, &n32, &columns, &matrix, &n32, &tau, &z, &ldz, &query, &lwork, &info, 1, 1, 1)
        try check(info, "dormtr", "workspace query")
        lwork = Int32(query.rounded(.up))
        work = [Double](repeating: 0, count: Int(lwork))
        dormtr_(&side, &uplo, &trans, &n32, &columns, &matrix, &n32, &tau, &z, &ldz, &work, &lwork, &info, 1, 1, 1)
        try check(info, "dormtr", "back-transformation")

        // Column c of Z (contiguous) belongs to the c-th smallest of the k: largest first.
        var vectors = [Double](repeating: 0, count: k * n)
        for r in 0..<k {
            let column = (k - 1 - r) * n
            for j in 0..<n { vectors[r * n + j] = z[column + j] }
        }
        return Result(descending: descending, vectors: vectors)
    }

    private static func check(_ info: Int32, _ routine: String, _ step: String) throws {
        guard info != 0 else { return }
        throw DatasetError(.numericalFailure, "LAPACK \(routine) failed in the \(step) of PCA's covariance (info \(info)).")
    }
}
