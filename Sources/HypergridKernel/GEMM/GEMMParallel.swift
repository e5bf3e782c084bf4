import Dispatch

/// Minimum multiply-adds per thread before another thread is worth waking.
/// 2^18 FMAs (2^19 flops) take 3.5–12 µs on one core at the rates hypergrid-bench measures
/// (45–150 GFLOP/s); below that, handing work to a sleeping worker (futex
/// wake, context switch) is no longer a small cost. A reasoned bound, not a
/// tuned one: the shared 2-core development machine is too noisy for that.
private let minimumWorkPerThread = 1 << 18

/// ``gemm(_:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)`` on up to `threads` threads.
///
/// The work is split into contiguous blocks of rows (when `m ≥ n`) or of
/// columns of C, never along k, so every element is computed by exactly the
/// same FMA chain as on one thread: the result is bit-identical for every
/// thread count (``GEMMContract``). Small problems use fewer threads than asked.
///
/// Threads come from Dispatch's persistent worker pool (`concurrentPerform`,
/// the caller runs one share itself); each uses its own
/// ``GEMMWorkspace/current``, so after warm-up no packing memory is allocated.
///
/// - Parameter threads: upper bound on the threads used; `1` runs inline.
public func gemm(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool, threads: Int) {
    let splitRows = m >= n
    // Blocks stay whole micro-tiles so no thread gets an extra ragged edge.
    let unit = splitRows ? GEMMBlocking.mr : GEMMBlocking.nr
    let length = splitRows ? m : n
    let units = (length + unit - 1) / unit
    let work = m * n * max(k, 1)
    let parts = max(1, min(threads, units, work / minimumWorkPerThread))
    guard parts > 1 else {
        gemm(layout, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
             c: c, ldc: ldc, accumulate: accumulate)
        return
    }
    GEMMProfile.timed {
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            // Part `part` gets units [lo, hi): an even split, remainder spread over the first parts.
            let lo = min(length, (units * part / parts) * unit)
            let hi = min(length, (units * (part + 1) / parts) * unit)
            guard lo < hi else { return }
            if splitRows {
                // Rows lo..<hi of op(A) and C.
                let aPart = layout == .tn ? a + lo : a + lo * lda
                blockedGEMM(layout, m: hi - lo, n: n, k: k, a: aPart, lda: lda, b: b, ldb: ldb,
                            c: c + lo * ldc, ldc: ldc, accumulate: accumulate, workspace: .current)
            } else {
                // Columns lo..<hi of op(B) and C.
                let bPart = layout == .nt ? b + lo * ldb : b + lo
                blockedGEMM(layout, m: m, n: hi - lo, k: k, a: a, lda: lda, b: bPart, ldb: ldb,
                            c: c + lo, ldc: ldc, accumulate: accumulate, workspace: .current)
            }
        }
    }
}
