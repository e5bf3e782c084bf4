// Affine and ReLU layers, llm.c style: each a forward/backward pair on raw row-major
// buffers, batch first (N rows). The plain functions are the specification; the fused
// ones (`affineReLUForward`, `reluBackwardColumnSums`) do the same arithmetic in fewer
// passes over memory and are tested bit-for-bit (`==`) against the plain composition.
//
// Bias is added after the GEMM (`y = fl(fl(x·w) + b)`), never used as the GEMM's
// starting value, so that fused and plain paths round identically.

/// Affine forward: `Y = X·W + b`.
///
///     // X: [N × inDim] (row stride ldx), W: [inDim × outDim], b: [outDim] or nil,
///     // Y: [N × outDim] (row stride outDim)
public func affineForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
                          w: UnsafePointer<Float>, b: UnsafePointer<Float>?,
                          n: Int, inDim: Int, outDim: Int) {
    gemm(.nn, m: n, n: outDim, k: inDim, a: x, lda: ldx, b: w, ldb: outDim,
         c: y, ldc: outDim, accumulate: false)
    if let b { addRowVector(y, b, rows: n, columns: outDim) }
}

/// Adds `b` to every row: `Y[i][j] += b[j]`.
///
///     // Y: [rows × columns], b: [columns]
public func addRowVector(_ y: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>,
                         rows: Int, columns: Int) {
    for i in 0..<rows {
        let row = y + i * columns
        for j in 0..<columns { row[j] = row[j] + b[j] }
    }
}

/// ReLU forward: `Y = max(X, 0)` elementwise (in place allowed). NaN propagates, so a
/// diverging network still shows up as a non-finite loss.
///
///     // X, Y: [count]
public func reluForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = max(x[i], 0) }
}

/// ReLU backward from the layer's *output*: `dX = Y > 0 ? dY : 0` (in place allowed).
/// `Y > 0` exactly where the input was `> 0`, so the input need not be kept.
///
///     // Y, dY, dX: [count]
public func reluBackward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
                         y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
}

/// Column sums in row order: `out[j] = Σ_{i=0..<rows} X[i][j]`, each a left-to-right
/// chain starting at 0, so the result never depends on vector width or threads.
///
///     // X: [rows × columns], out: [columns]
public func columnSums(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                       rows: Int, columns: Int) {
    columnSums(out, x, rows: rows, columns: columns, ld: columns)
}

/// ``columnSums(_:_:rows:columns:)`` of a block of columns in a matrix of row stride `ld`.
@inline(__always)
func columnSums(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                rows: Int, columns: Int, ld: Int) {
    out.update(repeating: 0, count: columns)
    for i in 0..<rows {
        let row = x + i * ld
        for j in 0..<columns { out[j] = out[j] + row[j] }
    }
}

/// Affine backward.
///
///     // dY: [N × outDim], X: [N × inDim] (row stride ldx), W: [inDim × outDim]
///     // dW = Xᵀ·dY: [inDim × outDim]       (GEMM .tn, overwrites)
///     // db = column sums of dY: [outDim]   (skipped when nil)
///     // dX = dY·Wᵀ: [N × inDim]            (GEMM .nt, overwrites; skipped when nil,
///     //                                     e.g. for the first layer)
public func affineBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                           db: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                           x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>,
                           n: Int, inDim: Int, outDim: Int) {
    gemm(.tn, m: inDim, n: outDim, k: n, a: x, lda: ldx, b: dy, ldb: outDim,
         c: dw, ldc: outDim, accumulate: false)
    if let db { columnSums(db, dy, rows: n, columns: outDim) }
    if let dx {
        gemm(.nt, m: n, n: inDim, k: outDim, a: dy, lda: outDim, b: w, ldb: outDim,
             c: dx, ldc: inDim, accumulate: false)
    }
}

// MARK: - Fused fast paths

/// Fused affine + ReLU forward: `Y = max(X·W + b, 0)` with one pass after the GEMM
/// instead of two. Bit-identical to `affineForward` followed by `reluForward`.
///
///     // X: [N × inDim] (row stride ldx), W: [inDim × outDim], b: [outDim],
///     // Y: [N × outDim]
public func affineReLUForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
                              w: UnsafePointer<Float>, b: UnsafePointer<Float>,
                              n: Int, inDim: Int, outDim: Int) {
    affineReLUForward(y: y, x: x, ldx: ldx, w: w, b: b, n: n, inDim: inDim, outDim: outDim,
                      team: nil)
}

/// ``affineReLUForward(y:x:ldx:w:b:n:inDim:outDim:)`` on a thread team: each part of
/// the GEMM adds the bias and clamps its own block of Y.
func affineReLUForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
                       w: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       n: Int, inDim: Int, outDim: Int, team: ThreadTeam?) {
    gemm(.nn, m: n, n: outDim, k: inDim, a: x, lda: ldx, b: w, ldb: outDim,
         c: y, ldc: outDim, accumulate: false, team: team, finish: .biasReLU(b))
}

/// `Y[i][j] = max(Y[i][j] + b[j], 0)` on a block of Y (row stride `ld`).
@inline(__always)
func biasReLU(_ y: UnsafeMutablePointer<Float>, ld: Int, _ b: UnsafePointer<Float>,
              rows: Range<Int>, columns: Range<Int>) {
    for i in rows {
        let row = y + i * ld
        for j in columns { row[j] = max(row[j] + b[j], 0) }
    }
}

/// Fused ReLU backward + bias gradient: masks `dZ` in place where the ReLU output `Y`
/// is not positive, and writes the column sums of the masked `dZ` to `db`.
/// Bit-identical to `reluBackward` then `columnSums`.
///
///     // dZ (in: dY, out: dZ), Y: [rows × columns], db: [columns]
public func reluBackwardColumnSums(_ dz: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>,
                                   db: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    reluBackwardColumnSums(dz, y: y, db: db, rows: rows, columns: columns, ld: columns)
}

/// ``reluBackwardColumnSums(_:y:db:rows:columns:)`` of a block of columns (row stride `ld`):
/// every row of those columns, in row order. The dropout variant with `scale` 1: `x · 1 == x`
/// exactly, and the constant folds away when inlined, so one loop serves both.
@inline(__always)
func reluBackwardColumnSums(_ dz: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>,
                            db: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int) {
    reluDropoutBackwardColumnSums(dz, y: y, db: db, scale: 1, rows: rows, columns: columns, ld: ld)
}

/// Copies the rows `indices[0..<count]` of `source` into consecutive rows of `destination`
/// (the minibatch gather), and their labels.
///
///     // source: [rows × columns], destination: [count × columns], labels out: [count]
public func gatherRows(into destination: UnsafeMutablePointer<Float>,
                       labels labelsOut: UnsafeMutablePointer<Int32>,
                       from source: UnsafePointer<Float>, labels labelsIn: UnsafePointer<Int32>,
                       columns: Int, indices: UnsafePointer<Int32>, count: Int) {
    for i in 0..<count {
        let r = Int(indices[i])
        (destination + i * columns).update(from: source + r * columns, count: columns)
        labelsOut[i] = labelsIn[r]
    }
}
