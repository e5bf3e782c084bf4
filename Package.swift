// swift-tools-version:6.0
//
// hypergrid — distributed hyperparameter search for multi-layer perceptrons.
//
// The import graph is one-way (each target's `dependencies` below are exactly the modules
// its sources import; check with `grep -rh '^import\|^@testable import' Sources/<target>`):
//   leaves:      HypergridGEMMAVX2 / HypergridGEMMAVX512 (one GEMM source, two target CPUs),
//                HypergridData (datasets; CZlib),
//                HypergridSearchSpace (grid, trial config, trial id; Yams, Crypto),
//                HypergridFiles (POSIX file calls and the one durable-file write),
//                under Data, SearchSpace and ZeroMQ: HypergridPrimitives (SplitMix64, hex text)
//   kernel:      HypergridKernel (SIMD numerics; picks a GEMM copy at run time via CCPUFeatures)
//   C shims:     CZeroMQ (libzmq), CLAPACK (LAPACK's symmetric eigensolver, loaded at first use), CZlib, CProcessShims,
//                CPixelGram (PCA's exact 8-bit Gram matrix, AVX-512 VNNI), CCPUFeatures (CPUID)
//   wrappers:    ZeroMQ (the only importer of CZeroMQ; Primitives for hex)
//   middle:      HypergridPreprocessing (Data + Kernel + Files + Primitives + CLAPACK + CPixelGram + CCPUFeatures
//                + CProcessShims + Crypto),
//                HypergridProtocol (SearchSpace + Data), HypergridTraining (Kernel + Data + SearchSpace),
//                HypergridResults (SearchSpace + Files: journal, leaderboard, checkpoints, kept models),
//                HypergridModel (.hgmodel files and prediction: Kernel + Data + Preprocessing),
//                HypergridExport (ONNX + safetensors of a model: Model + Data + SwiftProtobuf),
//                HypergridLogging (swift-log)
//   services:    HypergridCoordinator (SearchSpace + Results + Files + Protocol + ZeroMQ; never the kernel),
//                HypergridWorker (Training + Protocol + Preprocessing + Data + SearchSpace + Files + ZeroMQ
//                                 + Model + Kernel)
//   reports:     HypergridReport (Results' journal replay -> SVG + HTML; no ZeroMQ, no kernel)
//   executable:  hypergrid (parses arguments and wires the libraries together)
import PackageDescription
import class Foundation.ProcessInfo

// The kernel needs real FMA/AVX instructions: without a target CPU, `addProduct`
// lowers to a libm `fmaf` call and training runs ~100x slower. x86-64-v3 (AVX2+FMA)
// runs on any x86-64 from the last decade and is the baseline of the whole binary;
// HYPERGRID_MARCH (e.g. `native`) raises it for a machine-specific build.
let march = ProcessInfo.processInfo.environment["HYPERGRID_MARCH"] ?? "x86-64-v3"
// The GEMM micro-kernels are compiled twice from Sources/HypergridGEMMKernels: for the
// baseline (8 lanes) and for x86-64-v4 (AVX-512, 16 lanes, through the symlinks in
// Sources/HypergridGEMMAVX512). HypergridKernel picks one at start-up from CPUID
// (GEMMKernelPath), so one binary runs at full width on every x86-64 CPU.
#if arch(x86_64)
let cpuFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=\(march)"])]
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4"]), .define("HYPERGRID_AVX512")]
#else
let cpuFlags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
#endif
let language: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// On Linux, libzmq's header is in /usr/include and module.modulemap links it; asking
// pkg-config there only adds krb5's `-isystem` (a Requires.private of Debian's libzmq),
// which SwiftPM refuses with a warning on every build. Homebrew's prefix needs pkg-config.
#if os(macOS)
let zmqPkgConfig: String? = "libzmq"
#else
let zmqPkgConfig: String? = nil
#endif

let package = Package(
    name: "hypergrid",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hypergrid", targets: ["hypergrid"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.11.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        // The runtime of the generated ONNX types (scripts/generate-onnx-proto).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // MARK: C system libraries
        .systemLibrary(name: "CZeroMQ", pkgConfig: zmqPkgConfig,
                       providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        // LAPACK's function types only: HypergridPreprocessing loads liblapack.so.3 at first use
        // (LAPACKLibrary.swift), so that it can choose OpenBLAS's kernels first.
        .systemLibrary(name: "CLAPACK",
                       providers: [.apt(["liblapack-dev", "libopenblas-dev"])]),
        // Benchmark baseline only: the kernel never links OpenBLAS.
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // PCA's exact Gram matrix of 8-bit pixels with AVX-512 VNNI (a per-function target
        // attribute, chosen at run time; HypergridPreprocessing has a portable route).
        .target(name: "CPixelGram"),

        // MARK: leaves
        // CPUID/XGETBV: which GEMM copy this CPU can run.
        .target(name: "CCPUFeatures"),
        // One source, two compiled copies of the GEMM micro-kernels (see GEMMKernels.swift).
        // Only HypergridKernel imports them, and calls the AVX-512 copy only on a CPU with it.
        .target(name: "HypergridGEMMAVX2", path: "Sources/HypergridGEMMKernels",
                swiftSettings: language + cpuFlags + [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "HypergridGEMMAVX512", path: "Sources/HypergridGEMMAVX512",
                swiftSettings: language + avx512Flags + [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "HypergridKernel",
                dependencies: ["CCPUFeatures", "HypergridGEMMAVX2", "HypergridGEMMAVX512"],
                swiftSettings: language + cpuFlags + [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "HypergridData", dependencies: ["CZlib", "HypergridPrimitives"], swiftSettings: language),
        // POSIX file calls and the one durable (temp file, fsync, rename, fsync dir) write.
        .target(name: "HypergridFiles", swiftSettings: language),
        // SplitMix64 and hex text, needed by leaves that cannot import one another.
        .target(name: "HypergridPrimitives", swiftSettings: language),
        .target(name: "HypergridSearchSpace",
                dependencies: ["HypergridPrimitives", .product(name: "Yams", package: "Yams"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language),

        // MARK: wrappers and middle layers
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "HypergridPrimitives"], swiftSettings: language),
        .target(name: "HypergridPreprocessing",
                dependencies: ["HypergridData", "HypergridKernel", "HypergridFiles", "HypergridPrimitives", "CLAPACK", "CPixelGram",
                               "CCPUFeatures", "CProcessShims", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language + cpuFlags),
        .target(name: "HypergridProtocol", dependencies: ["HypergridSearchSpace", "HypergridData", "HypergridPrimitives"],
                swiftSettings: language),
        // The .hgmodel file (input pipeline + architecture + weights) and its batched
        // inference-mode forward pass.
        .target(name: "HypergridModel",
                dependencies: ["HypergridKernel", "HypergridData", "HypergridPreprocessing"],
                swiftSettings: language + cpuFlags),
        // ONNX and safetensors export of a model; the only importer of SwiftProtobuf.
        .target(name: "HypergridExport",
                dependencies: ["HypergridModel", "HypergridData",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Generated/README.md"],
                swiftSettings: language),
        .target(name: "HypergridTraining",
                dependencies: ["HypergridKernel", "HypergridData", "HypergridSearchSpace"],
                swiftSettings: language + cpuFlags),

        // The results store: journal, leaderboard, checkpoints (docs/results-store.md).
        .target(name: "HypergridResults", dependencies: ["HypergridSearchSpace", "HypergridFiles"],
                swiftSettings: language),

        // MARK: services
        .target(name: "HypergridCoordinator",
                dependencies: ["HypergridSearchSpace", "HypergridResults", "HypergridFiles", "HypergridProtocol", "ZeroMQ",
                               "HypergridPrimitives", .product(name: "Logging", package: "swift-log"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language),
        // Renders a run's journal as standalone SVG charts and an HTML page; reads the
        // run through the results store's journal replay (no ZeroMQ, no kernel).
        .target(name: "HypergridReport", dependencies: ["HypergridResults", "HypergridFiles", "HypergridSearchSpace"],
                swiftSettings: language),
        .target(name: "CProcessShims"),
        // The plain `12:04:05 worker: …` log lines shared by every process hypergrid starts.
        .target(name: "HypergridLogging", dependencies: [.product(name: "Logging", package: "swift-log")],
                swiftSettings: language),
        .target(name: "HypergridWorker",
                dependencies: ["HypergridTraining", "HypergridProtocol", "HypergridPreprocessing", "HypergridData",
                               "HypergridSearchSpace", "HypergridFiles", "ZeroMQ", "CProcessShims",
                               "HypergridModel", "HypergridKernel",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: language + cpuFlags),

        // MARK: the executable
        .executableTarget(name: "hypergrid",
                          dependencies: ["HypergridTraining", "HypergridKernel", "HypergridCoordinator", "HypergridResults", "HypergridReport",
                                         "HypergridWorker", "HypergridPreprocessing", "HypergridModel", "HypergridExport",
                                         "HypergridFiles", "HypergridData", "HypergridSearchSpace", "HypergridLogging", "ZeroMQ",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: language),

        // MARK: benchmarks
        .executableTarget(name: "hypergrid-bench",
                          dependencies: ["HypergridKernel", "HypergridTraining", "HypergridData",
                                         "HypergridSearchSpace", "COpenBLAS"],
                          path: "Sources/HypergridBench",
                          swiftSettings: language + cpuFlags + [.unsafeFlags(["-Ounchecked"])]),
        // CSV read speed and peak memory (scripts/bench-csv compares it with pandas.read_csv).
        .executableTarget(name: "hypergrid-csv-bench", dependencies: ["HypergridData"],
                          path: "Sources/CSVBench", swiftSettings: language),
        // The coordinator's overhead with no-op workers; never links the kernel.
        .executableTarget(name: "hypergrid-coordinator-bench",
                          dependencies: ["HypergridCoordinator", "HypergridResults", "HypergridProtocol", "HypergridSearchSpace", "ZeroMQ",
                                         "HypergridLogging", .product(name: "Logging", package: "swift-log")],
                          path: "Sources/CoordinatorBench", swiftSettings: language),

        // What models cost: predict's forward pass, a model's size, keeping K models.
        .executableTarget(name: "hypergrid-model-bench",
                          dependencies: ["HypergridModel", "HypergridResults", "HypergridData", "HypergridKernel",
                                         "HypergridPreprocessing", "HypergridSearchSpace"],
                          path: "Sources/ModelBench", swiftSettings: language),

        // MARK: tests
        .testTarget(name: "HypergridKernelTests", dependencies: ["HypergridKernel"],
                    swiftSettings: language + cpuFlags),
        .testTarget(name: "HypergridDataTests",
                    dependencies: ["HypergridData", "HypergridPreprocessing", "HypergridPrimitives", "CZlib"],
                    swiftSettings: language),
        .testTarget(name: "HypergridModelTests",
                    dependencies: ["HypergridModel", "HypergridExport", "HypergridKernel", "HypergridData",
                                   "HypergridPreprocessing", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    swiftSettings: language + cpuFlags),
        .testTarget(name: "HypergridSearchSpaceTests", dependencies: ["HypergridSearchSpace"],
                    swiftSettings: language),
        .testTarget(name: "HypergridTrainingTests",
                    dependencies: ["HypergridTraining", "HypergridPreprocessing", "HypergridData",
                                   "HypergridSearchSpace", "HypergridKernel"], swiftSettings: language),
        // Temporary directories, tiny file systems and trial fixtures shared by the tests.
        .target(name: "HypergridTestSupport", dependencies: ["HypergridSearchSpace", "HypergridPrimitives"],
                path: "Tests/HypergridTestSupport", swiftSettings: language),
        .testTarget(name: "HypergridResultsTests",
                    dependencies: ["HypergridResults", "HypergridFiles", "HypergridSearchSpace", "HypergridTestSupport", "HypergridPrimitives"],
                    swiftSettings: language),
        .testTarget(name: "HypergridCoordinatorTests",
                    dependencies: ["HypergridCoordinator", "HypergridResults", "HypergridFiles", "HypergridProtocol", "HypergridSearchSpace",
                                   "ZeroMQ", "HypergridTestSupport", "HypergridPrimitives", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: language),
        .testTarget(name: "HypergridReportTests",
                    dependencies: ["HypergridReport", "HypergridResults", "HypergridSearchSpace"],
                    swiftSettings: language),
        .testTarget(name: "HypergridEndToEndTests",
                    dependencies: ["HypergridCoordinator", "HypergridResults", "HypergridSearchSpace", "HypergridProtocol",
                                   "ZeroMQ", "CZlib", "HypergridTestSupport", "HypergridPrimitives"],
                    swiftSettings: language),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"], swiftSettings: language),
        .testTarget(name: "HypergridProtocolTests",
                    dependencies: ["HypergridProtocol", "HypergridSearchSpace", "HypergridData", "HypergridTestSupport", "HypergridPrimitives"],
                    swiftSettings: language),
        .testTarget(name: "HypergridWorkerTests",
                    dependencies: ["HypergridWorker", "HypergridProtocol", "HypergridSearchSpace",
                                   "HypergridPreprocessing", "HypergridData", "ZeroMQ", "HypergridLogging",
                                   "HypergridTestSupport", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: language),
    ]
)
