// The GEMM table: GFLOP/s of HypergridKernel's gemm against OpenBLAS's
// single-threaded cblas_sgemm on the MLP training shapes (see main.swift).
#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import HypergridKernel

struct Shape {
    let name: String
    let layout: GEMMLayout
    let m: Int, n: Int, k: Int
}

let defaultShapes: [Shape] = [
    Shape(name: "fwd X·W1", layout: .nn, m: 200, n: 256, k: 3072),
    Shape(name: "grad Xᵀ·dH", layout: .tn, m: 3072, n: 256, k: 200),
    Shape(name: "dH·W1ᵀ", layout: .nt, m: 200, n: 3072, k: 256),
    Shape(name: "fwd H·W2 (10)", layout: .nn, m: 200, n: 10, k: 256),
    Shape(name: "grad Hᵀ·dY (10)", layout: .tn, m: 256, n: 10, k: 200),
    Shape(name: "dY·W2ᵀ (10)", layout: .nt, m: 200, n: 256, k: 10),
    Shape(name: "fwd X·W1 (D=99)", layout: .nn, m: 200, n: 256, k: 99),
    Shape(name: "grad Xᵀ·dH (D=99)", layout: .tn, m: 99, n: 256, k: 200),
    Shape(name: "dH·W1ᵀ (D=99)", layout: .nt, m: 200, n: 99, k: 256),
]

/// The GEMM table: our kernel against OpenBLAS on each shape (the default mode).
func runGEMMTable(_ arguments: ArraySlice<String>) {
    var json = false, check = true
    var filter: String? = nil
    var threads = 1
    /// `--peak G`: compute %peak against a stated figure instead of the measured one.
    var statedPeak: Double? = nil
    var samples = 15
    var sampleSeconds = 0.01
    var shapes: [Shape] = []
    var args = arguments
    while let arg = args.popFirst() {
        switch arg {
        case "--shape":
            // --shape nn,200,256,99 replaces the default shapes (repeatable).
            let f = (args.popFirst() ?? "").split(separator: ",")
            let layouts: [Substring: GEMMLayout] = ["nn": .nn, "tn": .tn, "nt": .nt]
            guard f.count == 4, let l = layouts[f[0]], let m = Int(f[1]), let n = Int(f[2]),
                  let k = Int(f[3]) else { print("--shape wants layout,m,n,k"); exit(2) }
            shapes.append(Shape(name: "\(f[0]) \(m)×\(n)×\(k)", layout: l, m: m, n: n, k: k))
        case "--json": json = true
        case "--no-check": check = false
        case "--wall": benchClock = CLOCK_MONOTONIC
        case "--filter": filter = args.popFirst()
        case "--threads": threads = Int(args.popFirst() ?? "") ?? threads
        case "--peak": statedPeak = Double(args.popFirst() ?? "")
        case "--samples": samples = Int(args.popFirst() ?? "") ?? samples
        case "--sample-ms": sampleSeconds = (Double(args.popFirst() ?? "") ?? 10) / 1000
        default:
            print("usage: hypergrid-bench [--json] [--samples N] [--sample-ms T] [--no-check] [--wall] [--filter NAME] [--threads N] [--peak GFLOPS] [--shape nn,m,n,k]...\n"
                  + "       hypergrid-bench train [--json] [--repeats N] [--filter NAME] [--peak GFLOPS] [--quick]")
            exit(arg == "--help" ? 0 : 2)
        }
    }

    if shapes.isEmpty { shapes = defaultShapes }
    openblas_set_num_threads(1)

    /// Deterministic values of mixed sign and magnitude in [-1, 1).
    func fill(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int32(truncatingIfNeeded: s >> 32)) / Float(1 << 31)
        }
    }

    struct Row {
        let shape: Shape
        let ours: Double, openblas: Double
        let oursThreaded: Double?
        let bitExact: Bool?
        /// FNV-1a over C's bit patterns after our gemm: equal across builds
        /// (AVX2 vs AVX-512) and thread counts iff the results are bit-identical.
        let checksum: UInt64
    }

    let measuredPeak = measurePeak(seconds: 0.5)
    let peak = statedPeak ?? measuredPeak
    let width = GEMMKernelPath.active.lanes
    var rows: [Row] = []
    for shape in shapes where filter.map({ shape.name.contains($0) }) ?? true {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let lda = shape.layout == .tn ? m : k
        let ldb = shape.layout == .nt ? k : n
        // Raw buffers (not arrays) so the timed closures capture plain pointers.
        let pa = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let pb = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let pc = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { pa.deallocate(); pb.deallocate(); pc.deallocate() }
        pa.initialize(from: fill(m * k, seed: 1), count: m * k)
        pb.initialize(from: fill(k * n, seed: 2), count: k * n)
        pc.initialize(repeating: 0, count: m * n)
        let transA = shape.layout == .tn ? CblasTrans : CblasNoTrans
        let transB = shape.layout == .nt ? CblasTrans : CblasNoTrans

        let flops = 2.0 * Double(m * n * k)
        func rate(_ calls: Int, _ body: () -> Void) -> Double {
            let t0 = now()
            for _ in 0..<calls { body() }
            return flops * Double(calls) / (now() - t0) / 1e9
        }
        let oursCall = {
            gemm(shape.layout, m: m, n: n, k: k, a: pa, lda: lda, b: pb, ldb: ldb,
                 c: pc, ldc: n, accumulate: false)
        }
        let blasCall = {
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k), 1,
                        pa, Int32(lda), pb, Int32(ldb), 0, pc, Int32(n))
        }
        let oursCalls = callsPerSample(target: sampleSeconds, oursCall)
        let blasCalls = callsPerSample(target: sampleSeconds, blasCall)
        var ours: [Double] = [], blas: [Double] = []
        for _ in 0..<samples {
            ours.append(rate(oursCalls, oursCall))
            blas.append(rate(blasCalls, blasCall))
        }
        oursCall()
        let checksum = UnsafeBufferPointer(start: pc, count: m * n).reduce(0xcbf2_9ce4_8422_2325 as UInt64) {
            ($0 ^ UInt64($1.bitPattern)) &* 0x100_0000_01b3
        }
        var exact: Bool? = nil
        if check {
            var ref = [Float](repeating: 0, count: m * n)
            referenceGEMM(shape.layout, m: m, n: n, k: k, a: pa, lda: lda, b: pb, ldb: ldb,
                          c: &ref, ldc: n, accumulate: false)
            exact = Array(UnsafeBufferPointer(start: pc, count: m * n)) == ref
        }
        var threaded: Double? = nil
        if threads > 1 {
            let saved = benchClock
            benchClock = CLOCK_MONOTONIC
            // The same ThreadTeam the trainer uses, so the figure is what training gets.
            let team = ThreadTeam(threads: threads)
            let call = {
                gemm(shape.layout, m: m, n: n, k: k, a: pa, lda: lda, b: pb, ldb: ldb,
                     c: pc, ldc: n, accumulate: false, team: team)
            }
            let calls = callsPerSample(target: sampleSeconds, call)
            threaded = median((0..<samples).map { _ in rate(calls, call) })
            benchClock = saved
        }
        rows.append(Row(shape: shape, ours: median(ours), openblas: median(blas),
                        oursThreaded: threaded, bitExact: exact, checksum: checksum))
    }

    /// Our median time per call.
    func microseconds(_ r: Row) -> Double {
        2.0 * Double(r.shape.m * r.shape.n * r.shape.k) / (r.ours * 1e9) * 1e6
    }
    func layoutName(_ l: GEMMLayout) -> String { l == .nn ? "nn" : l == .tn ? "tn" : "nt" }

    if json {
        var out = "{\"peak_gflops\": \(fmt(peak, 1)), \"measured_peak_gflops\": \(fmt(measuredPeak, 1)), "
            + "\"openblas_core\": \"\(String(cString: openblas_get_corename()))\", \"kernel\": \"\(GEMMKernelPath.active.rawValue)\", \"vector_lanes\": \(width), \"shapes\": ["
        out += rows.map { r in
            "{\"name\": \"\(r.shape.name)\", \"layout\": \"\(layoutName(r.shape.layout))\", "
            + "\"m\": \(r.shape.m), \"n\": \(r.shape.n), \"k\": \(r.shape.k), "
            + "\"gflops\": \(fmt(r.ours, 2)), \"openblas_gflops\": \(fmt(r.openblas, 2)), "
            + "\"ratio\": \(fmt(r.ours / r.openblas, 3)), \"percent_of_peak\": \(fmt(100 * r.ours / peak, 1)), "
            + "\"us_per_call\": \(fmt(microseconds(r), 2))"
            + (r.oursThreaded.map { ", \"gflops_\(threads)_threads_wall\": \(fmt($0, 2))" } ?? "")
            + (r.bitExact.map { ", \"bit_exact\": \($0)" } ?? "")
            + ", \"checksum\": \"\(String(r.checksum, radix: 16))\"}"
        }.joined(separator: ", ")
        print(out + "]}")
    } else {
        print("GEMM kernels: \(GEMMKernelPath.active); measured peak: \(fmt(measuredPeak, 1)) GFLOP/s (12 independent \(width)-lane FMA chains, 1 core)"
              + (statedPeak.map { "; %peak below is of the stated \(fmt($0, 1))" } ?? ""))
        print("OpenBLAS core: \(String(cString: openblas_get_corename()))"
              + " (a generic fallback such as Prescott means OpenBLAS does not know this CPU:"
              + " set OPENBLAS_CORETYPE=Haswell or SkylakeX for a fair baseline)")
        print("samples: \(samples) × ~\(fmt(sampleSeconds * 1000, 0)) ms each, median; OpenBLAS threads: 1; clock: "
              + (benchClock == CLOCK_MONOTONIC ? "wall" : "thread CPU time"))
        print(pad("shape", 18, left: true) + " lay " + pad("m", 5) + pad("n", 5) + pad("k", 5)
              + pad("ours", 9) + pad("OpenBLAS", 9) + pad("ratio", 7) + pad("%peak", 7) + pad("µs/call", 9)
              + (threads > 1 ? pad("ours×\(threads)", 9) : "")
              + (check ? "  ==ref" : ""))
        for r in rows {
            print(pad(r.shape.name, 18, left: true) + " " + layoutName(r.shape.layout) + "  "
                  + pad("\(r.shape.m)", 5) + pad("\(r.shape.n)", 5) + pad("\(r.shape.k)", 5)
                  + pad(fmt(r.ours, 1), 9) + pad(fmt(r.openblas, 1), 9)
                  + pad(fmt(r.ours / r.openblas, 2), 7) + pad(fmt(100 * r.ours / peak, 1), 7)
                  + pad(fmt(microseconds(r), 1), 9)
                  + (r.oursThreaded.map { pad(fmt($0, 1), 9) } ?? "")
                  + (r.bitExact.map { $0 ? "  yes" : "  NO" } ?? ""))
        }
        print("(GFLOP/s = 2·m·n·k / median time per call; ratio = ours / OpenBLAS; µs/call is ours)")
    }
}
