/// Minimum multiply-adds per thread before another thread is worth waking.
/// 2^18 FMAs (2^19 flops) take 3.5–12 µs on one core at the rates hypergrid-bench measures
/// (45–150 GFLOP/s); below that, handing work to a sleeping worker (futex
/// wake, context switch) is no longer a small cost. A reasoned bound, not a
/// tuned one: the shared 2-core development machine is too noisy for that.
private let minimumWorkPerThread = 1 << 18

/// How a GEMM is cut into parts: contiguous blocks of whole micro-tiles of rows
/// (`splitRows`) or of columns of C. Never along k, so every element is computed
/// by exactly the same FMA chain whatever the number of parts (``GEMMContract``).
struct GEMMSplit {
    let path: GEMMKernelPath
    let splitRows: Bool
    let unit: Int, length: Int, units: Int
    let parts: Int

    /// Along the longer of m and n (or along n when `columnsOnly`), into at most
    /// `threads` parts of at least ``minimumWorkPerThread`` multiply-adds, each
    /// computed with `path`'s kernels.
    init(m: Int, n: Int, k: Int, threads: Int, columnsOnly: Bool = false,
         path: GEMMKernelPath = .active) {
        self.path = path
        splitRows = !columnsOnly && m >= n
        // Blocks stay whole micro-tiles so no thread gets an extra ragged edge.
        unit = splitRows ? path.rowTile : path.columnTile
        length = splitRows ? m : n
        units = (length + unit - 1) / unit
        let work = m * n * max(k, 1)
        parts = max(1, min(threads, units, work / minimumWorkPerThread))
    }

    /// The rows or columns of part `part`: an even split, remainder spread over the first parts.
    func range(_ part: Int) -> Range<Int> {
        let lo = min(length, (units * part / parts) * unit)
        let hi = min(length, (units * (part + 1) / parts) * unit)
        return lo..<max(lo, hi)
    }

    /// Computes part `part` of the GEMM on the calling thread's workspace and
    /// returns the block of C it covers (rows, columns).
    @inline(__always)
    func run(_ part: Int, _ layout: GEMMLayout, m: Int, n: Int, k: Int,
             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)
        -> (rows: Range<Int>, columns: Range<Int>) {
        let r = range(part)
        guard !r.isEmpty else { return (0..<0, 0..<0) }
        if splitRows {
            // Rows r of op(A) and C.
            let aPart = layout == .tn ? a + r.lowerBound : a + r.lowerBound * lda
            blockedGEMM(layout, m: r.count, n: n, k: k, a: aPart, lda: lda, b: b, ldb: ldb,
                        c: c + r.lowerBound * ldc, ldc: ldc, accumulate: accumulate,
                        workspace: .current, path: path)
            return (r, 0..<n)
        } else {
            // Columns r of op(B) and C.
            let bPart = layout == .nt ? b + r.lowerBound * ldb : b + r.lowerBound
            blockedGEMM(layout, m: m, n: r.count, k: k, a: a, lda: lda, b: bPart, ldb: ldb,
                        c: c + r.lowerBound, ldc: ldc, accumulate: accumulate,
                        workspace: .current, path: path)
            return (0..<m, r)
        }
    }
}

/// ``gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)`` on a ``ThreadTeam`` (or inline
/// when `team` is nil): the same bits for every team size, nothing allocated.
///
/// The work is split into contiguous blocks of rows (when `m ≥ n`) or of columns of C,
/// never along k, so every element is computed by exactly the same FMA chain as on one
/// thread (``GEMMContract``). Small problems use fewer threads than the team has.
public func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool, team: ThreadTeam?) {
    gemm(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
         accumulate: accumulate, team: team, finish: .none)
}

/// The team GEMM followed, on each part's own thread, by `finish` on the block of C
/// that part computed, while it is still in that core's cache. With `columnsOnly`
/// every part covers all rows of its columns, so `finish` may also reduce down
/// columns in row order (bias gradients, BatchNorm's sums). ``GEMMProfile`` counts
/// `finish` as GEMM time. `path` chooses the micro-kernels (tests run both).
func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, lda: Int,
          b: UnsafePointer<Float>, ldb: Int,
          c: UnsafeMutablePointer<Float>, ldc: Int,
          accumulate: Bool, team: ThreadTeam?, columnsOnly: Bool = false, finish: GEMMFinish,
          path: GEMMKernelPath = .active) {
    let split = GEMMSplit(m: m, n: n, k: k, threads: team?.count ?? 1, columnsOnly: columnsOnly,
                          path: path)
    GEMMProfile.timed(m: m, n: n, k: k) {
        guard let team, split.parts > 1 else {
            blockedGEMM(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                        c: c, ldc: ldc, accumulate: accumulate, workspace: .current, path: path)
            if m > 0 && n > 0 { finish.apply(c, ldc: ldc, allRows: m, rows: 0..<m, columns: 0..<n) }
            return
        }
        let job = team.gemmJob
        job.set(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                accumulate: accumulate, split: split, finish: finish)
        team.run(parts: split.parts, job)
    }
}

/// The arguments of one team GEMM; each part computes its block and finishes it.
final class GEMMTeamJob: TeamJob {
    private var layout = GEMMLayout.nn
    private var m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0
    private var a: UnsafePointer<Float>? = nil, b: UnsafePointer<Float>? = nil
    private var c: UnsafeMutablePointer<Float>? = nil
    private var accumulate = false
    private var split = GEMMSplit(m: 0, n: 0, k: 0, threads: 1)
    private var finish = GEMMFinish.none

    func set(_ layout: GEMMLayout, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
             b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
             accumulate: Bool, split: GEMMSplit, finish: GEMMFinish) {
        (self.layout, self.m, self.n, self.k) = (layout, m, n, k)
        (self.a, self.lda, self.b, self.ldb, self.c, self.ldc) = (a, lda, b, ldb, c, ldc)
        (self.accumulate, self.split, self.finish) = (accumulate, split, finish)
    }

    override func run(part: Int) {
        let block = split.run(part, layout, m: m, n: n, k: k, a: a!, lda: lda, b: b!, ldb: ldb,
                              c: c!, ldc: ldc, accumulate: accumulate)
        if !block.rows.isEmpty && !block.columns.isEmpty {
            finish.apply(c!, ldc: ldc, allRows: m, rows: block.rows, columns: block.columns)
        }
    }
}
