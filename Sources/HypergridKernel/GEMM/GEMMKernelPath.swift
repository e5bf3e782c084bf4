// The run-time choice between the two compiled copies of the GEMM micro-kernels
// (Sources/HypergridGEMMKernels, compiled as HypergridGEMMAVX2 and HypergridGEMMAVX512).
//
// The AVX-512 copy is compiled with -march=x86-64-v4, so any of its code may use
// AVX-512 instructions: nothing here touches it unless the CPU check passed and the
// path was chosen. Both copies give the same bits (`GEMMContract`), so the choice
// only changes speed.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCPUFeatures
import HypergridGEMMAVX2
import HypergridGEMMAVX512

/// Which compiled copy of the GEMM micro-kernels runs.
public enum GEMMKernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    /// 8-lane (ymm) kernels for AVX2 + FMA: x86-64-v3, every x86-64 CPU of the last decade.
    case avx2
    /// 16-lane (zmm) kernels for AVX-512 (x86-64-v4: F, CD, BW, DQ, VL).
    case avx512

    /// The environment variable that forces a path: `avx2` or `avx512` (unset: the widest
    /// the CPU supports).
    public static let environmentVariable = "HYPERGRID_KERNEL"

    /// The paths this CPU (and its operating system) can run, narrowest first.
    /// `.avx2` is always listed: it is the build's baseline, and on other architectures
    /// it is the portable 8-lane build of the same source.
    public static let supported: [GEMMKernelPath] =
        hypergrid_cpu_has_avx512() != 0 ? [.avx2, .avx512] : [.avx2]

    /// The widest path this CPU supports.
    public static var widest: GEMMKernelPath { supported.last! }

    /// The path GEMMs take: the widest supported one unless `HYPERGRID_KERNEL` names a
    /// supported narrower one when first read. A value that is unknown or names a path
    /// this CPU cannot run is ignored here; ``choose(environment:)`` reports it, and the
    /// `hypergrid` commands that train call that first.
    public static var active: GEMMKernelPath {
        get { activePath }
        set {
            precondition(supported.contains(newValue), "this CPU cannot run the \(newValue) GEMM kernels")
            activePath = newValue
        }
    }

    /// The path that `environment` asks for, or why it cannot be honoured.
    public static func choose(environment: [String: String]) throws(GEMMKernelChoiceError) -> GEMMKernelPath {
        guard let value = environment[environmentVariable], !value.isEmpty else { return widest }
        guard let path = GEMMKernelPath(rawValue: value.lowercased()) else {
            throw .unknown(value)
        }
        guard supported.contains(path) else { throw .unsupported(path) }
        return path
    }

    /// `avx512 (16 lanes)` and the like, for logs.
    public var description: String { "\(rawValue) (\(lanes) lanes)" }

    /// Floats per vector register in this path's kernels.
    public var lanes: Int {
        switch self {
        case .avx2: 8
        case .avx512: 16
        }
    }

    /// Rows of C in one register tile: row splits cut at multiples of it. Read from the
    /// path's own module, so only asked of a path this CPU runs.
    var rowTile: Int {
        switch self {
        case .avx2: HypergridGEMMAVX2.GEMMKernels.rowTile
        case .avx512: HypergridGEMMAVX512.GEMMKernels.rowTile
        }
    }

    /// Columns of C in one wide register tile: column splits cut at multiples of it.
    var columnTile: Int {
        switch self {
        case .avx2: HypergridGEMMAVX2.GEMMKernels.columnTile
        case .avx512: HypergridGEMMAVX512.GEMMKernels.columnTile
        }
    }

    /// The single-thread FMA rate of this path's vector width (see the benchmarks).
    public func peakGFLOPS(seconds: Double, clock: () -> Double) -> Double {
        switch self {
        case .avx2: HypergridGEMMAVX2.GEMMKernels.peakGFLOPS(seconds: seconds, clock: clock)
        case .avx512: HypergridGEMMAVX512.GEMMKernels.peakGFLOPS(seconds: seconds, clock: clock)
        }
    }
}

/// Why ``GEMMKernelPath/choose(environment:)`` refused `HYPERGRID_KERNEL`.
public enum GEMMKernelChoiceError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case unsupported(GEMMKernelPath)

    public var description: String {
        switch self {
        case .unknown(let value):
            "\(GEMMKernelPath.environmentVariable)='\(value)' is not a kernel; use avx2 or avx512, or unset it for the widest this CPU runs"
        case .unsupported(let path):
            "\(GEMMKernelPath.environmentVariable)=\(path.rawValue) asks for kernels this CPU cannot run; it supports \(GEMMKernelPath.supported.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// Set while no GEMM runs (start-up, tests); read by every GEMM call.
nonisolated(unsafe) private var activePath: GEMMKernelPath =
    (try? GEMMKernelPath.choose(environment: currentEnvironment())) ?? GEMMKernelPath.widest

/// The process environment without Foundation (this module does not import it).
private func currentEnvironment() -> [String: String] {
    guard let raw = getenv(GEMMKernelPath.environmentVariable) else { return [:] }
    return [GEMMKernelPath.environmentVariable: String(cString: raw)]
}

/// One thread's serial GEMM on `path`'s kernels; same arguments and bits as ``referenceGEMM``.
@inline(__always)
func blockedGEMM(_ layout: GEMMLayout, m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int,
                 accumulate: Bool, workspace: GEMMWorkspace, path: GEMMKernelPath) {
    let transposeA = layout == .tn, transposeB = layout == .nt
    switch path {
    case .avx2:
        HypergridGEMMAVX2.GEMMKernels.multiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda,
            b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate, workspace: workspace)
    case .avx512:
        HypergridGEMMAVX512.GEMMKernels.multiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda,
            b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate, workspace: workspace)
    }
}

extension GEMMWorkspace: HypergridGEMMAVX2.GEMMScratch, HypergridGEMMAVX512.GEMMScratch {}
