#if canImport(Glibc)
import Glibc
#endif
import CCPUFeatures
import CLAPACK
import CProcessShims
import HypergridData
import HypergridKernel

/// LAPACK's routines for PCA, loaded from `liblapack.so.3` at first use instead of linked.
///
/// Why not link it: on Debian that library is usually OpenBLAS, which picks its kernels once,
/// when it is loaded, from the CPU model — and the 0.3.21 that Debian 12 ships does not know
/// recent Xeons (Sapphire Rapids) and falls back to its generic SSE3 "Prescott" kernels. The
/// reduction to tridiagonal form, most of a cold PCA, then runs at about 60 % of the speed of
/// its AVX-512 kernels (docs/performance.md). A linked library is loaded before `main`, too
/// early to say otherwise; loaded here, it first gets `OPENBLAS_CORETYPE` (unless the user
/// set it): `SkylakeX` (its AVX-512 kernels) where the CPU runs AVX-512, else `Haswell`
/// (AVX2 + FMA) where it runs those; and `OPENBLAS_NUM_THREADS` as the CPUs this process may
/// run on, so that a process pinned to one core does not run two BLAS threads on it. Other
/// LAPACK builds ignore both variables.
///
/// The kernels decide the last bits of the eigenvectors, as they always did between CPUs that
/// OpenBLAS tells apart: the components agree to the PCA tests' tolerance, the trial ids (which
/// hash the data and the options, not the components) do not change, and a run prepares its
/// dataset once, on the coordinator, for every worker.
struct LAPACKLibrary {
    let dsytrd: hypergrid_dsytrd_fn
    let dsterf: hypergrid_dsterf_fn
    let dstemr: hypergrid_dstemr_fn
    let dormtr: hypergrid_dormtr_fn
    /// OpenBLAS's kernels and threads, e.g. `OpenBLAS SkylakeX kernels, 1 thread`, or nil for
    /// another LAPACK (for the PCA log line).
    let kernels: String?

    /// The library, loaded once; or why it cannot be.
    static let shared: Result<LAPACKLibrary, DatasetError> = load()

    /// What `load` sets when the variable is unset: the OpenBLAS kernels for `kernel`, the
    /// GEMM path this CPU runs (`HYPERGRID_KERNEL=avx2` also narrows OpenBLAS's).
    static func openBLASCoreType(for kernel: GEMMKernelPath, hasAVX2: Bool) -> String? {
        switch kernel {
        case .avx512: return "SkylakeX"
        case .avx2: return hasAVX2 ? "Haswell" : nil
        }
    }

    private static func load() -> Result<LAPACKLibrary, DatasetError> {
        // A value the user chose is kept (an empty one counts as unset). This runs once, when the first
        // PCA is fitted: the commands prepare their dataset before they start the threads of
        // training or serving, so nothing reads the environment concurrently.
        // Child processes started later (`run`'s workers) inherit both values; they never
        // fit a PCA (the coordinator ships the prepared data), and the values suit them too.
        func setUnlessChosen(_ name: String, _ value: String) {
            if let current = getenv(name), current.pointee != 0 { return }
            setenv(name, value, 1)
        }
        if let core = openBLASCoreType(for: GEMMKernelPath.active, hasAVX2: hypergrid_cpu_has_avx2_fma() != 0) {
            setUnlessChosen("OPENBLAS_CORETYPE", core)
        }
        setUnlessChosen("OPENBLAS_NUM_THREADS", String(hypergrid_allowed_cpu_count()))
        guard let handle = dlopen("liblapack.so.3", RTLD_NOW | RTLD_LOCAL) ?? dlopen("liblapack.so", RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(DatasetError(.numericalFailure,
                "PCA needs LAPACK, which could not be loaded (\(reason)); install it, e.g. apt-get install liblapack3."))
        }
        func symbol<F>(_ name: String, as type: F.Type) -> F? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let dsytrd = symbol("dsytrd_", as: hypergrid_dsytrd_fn.self),
              let dsterf = symbol("dsterf_", as: hypergrid_dsterf_fn.self),
              let dstemr = symbol("dstemr_", as: hypergrid_dstemr_fn.self),
              let dormtr = symbol("dormtr_", as: hypergrid_dormtr_fn.self) else {
            return .failure(DatasetError(.numericalFailure,
                "The LAPACK library loaded for PCA lacks dsytrd, dsterf, dstemr or dormtr; install Debian's liblapack3."))
        }
        typealias NameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?
        typealias CountFunction = @convention(c) () -> Int32
        var kernels: String? = nil
        if let name = symbol("openblas_get_corename", as: NameFunction.self)?().map({ String(cString: $0) }) {
            let threads = symbol("openblas_get_num_threads", as: CountFunction.self)?() ?? 1
            kernels = "OpenBLAS \(name) kernels, \(threads) thread\(threads == 1 ? "" : "s")"
        }
        return .success(LAPACKLibrary(dsytrd: dsytrd, dsterf: dsterf, dstemr: dstemr, dormtr: dormtr, kernels: kernels))
    }
}
