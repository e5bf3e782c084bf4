// swift-tools-version:6.0
//
// hypergrid — distributed hyperparameter search for multi-layer perceptrons.
//
// The import graph is one-way:
//   leaves:      HypergridGEMMAVX2 / HypergridGEMMAVX512 (one GEMM source, two target CPUs),
//                HypergridData (datasets), HypergridSearchSpace (grid, trial config, trial id)
//   kernel:      HypergridKernel (SIMD numerics; picks a GEMM copy at run time via CCPUFeatures)
//   C shims:     CZeroMQ (libzmq), CLAPACK (LAPACK's symmetric eigensolver), CCPUFeatures (CPUID)
//   wrappers:    ZeroMQ (the only importer of CZeroMQ)
//   middle:      HypergridPreprocessing (Data + Kernel + CLAPACK),
//                HypergridProtocol (SearchSpace), HypergridTraining (Kernel + Data + SearchSpace)
//   services:    HypergridCoordinator (never imports the kernel), HypergridWorker
//   reports:     HypergridReport (Coordinator's journal replay -> SVG + HTML)
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
    ],
    targets: [
        // MARK: C system libraries
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLAPACK",
                       providers: [.apt(["liblapack-dev", "libopenblas-dev"])]),
        // Benchmark baseline only: the kernel never links OpenBLAS.
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

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
        .target(name: "HypergridData", dependencies: ["CZlib"], swiftSettings: language),
        .target(name: "HypergridSearchSpace",
                dependencies: [.product(name: "Yams", package: "Yams"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language),

        // MARK: wrappers and middle layers
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: language),
        .target(name: "HypergridPreprocessing",
                dependencies: ["HypergridData", "HypergridKernel", "CLAPACK",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language + cpuFlags),
        .target(name: "HypergridProtocol", dependencies: ["HypergridSearchSpace", "HypergridData"],
                swiftSettings: language),
        .target(name: "HypergridTraining",
                dependencies: ["HypergridKernel", "HypergridData", "HypergridPreprocessing",
                               "HypergridSearchSpace"],
                swiftSettings: language + cpuFlags),

        // MARK: services
        .target(name: "HypergridCoordinator",
                dependencies: ["HypergridSearchSpace", "HypergridProtocol", "ZeroMQ",
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: language),
        // Renders a run's journal as standalone SVG charts and an HTML page; reads the
        // run through the coordinator's journal replay and never imports the kernel.
        .target(name: "HypergridReport", dependencies: ["HypergridCoordinator", "HypergridSearchSpace"],
                swiftSettings: language),
        .target(name: "CProcessShims"),
        // The plain `12:04:05 worker: …` log lines shared by every process hypergrid starts.
        .target(name: "HypergridLogging", dependencies: [.product(name: "Logging", package: "swift-log")],
                swiftSettings: language),
        .target(name: "HypergridWorker",
                dependencies: ["HypergridTraining", "HypergridKernel", "HypergridProtocol", "ZeroMQ", "CProcessShims",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: language + cpuFlags),

        // MARK: the executable
        .executableTarget(name: "hypergrid",
                          dependencies: ["HypergridTraining", "HypergridKernel", "HypergridCoordinator", "HypergridReport",
                                         "HypergridWorker", "HypergridPreprocessing",
                                         "HypergridData", "HypergridSearchSpace", "HypergridLogging", "ZeroMQ",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: language),

        // MARK: benchmarks
        .executableTarget(name: "hypergrid-bench",
                          dependencies: ["HypergridKernel", "HypergridTraining", "HypergridData",
                                         "HypergridSearchSpace", "COpenBLAS"],
                          path: "Sources/HypergridBench",
                          swiftSettings: language + cpuFlags + [.unsafeFlags(["-Ounchecked"])]),
        // The coordinator's overhead with no-op workers; never links the kernel.
        .executableTarget(name: "hypergrid-coordinator-bench",
                          dependencies: ["HypergridCoordinator", "HypergridProtocol", "HypergridSearchSpace", "ZeroMQ",
                                         "HypergridLogging", .product(name: "Logging", package: "swift-log")],
                          path: "Sources/CoordinatorBench", swiftSettings: language),

        // MARK: tests
        .testTarget(name: "HypergridKernelTests", dependencies: ["HypergridKernel"],
                    swiftSettings: language + cpuFlags),
        .testTarget(name: "HypergridDataTests",
                    dependencies: ["HypergridData", "HypergridPreprocessing"],
                    swiftSettings: language),
        .testTarget(name: "HypergridSearchSpaceTests", dependencies: ["HypergridSearchSpace"],
                    swiftSettings: language),
        .testTarget(name: "HypergridTrainingTests",
                    dependencies: ["HypergridTraining", "HypergridPreprocessing", "HypergridData",
                                   "HypergridSearchSpace"], swiftSettings: language),
        .testTarget(name: "HypergridCoordinatorTests",
                    dependencies: ["HypergridCoordinator"], swiftSettings: language),
        .testTarget(name: "HypergridReportTests",
                    dependencies: ["HypergridReport", "HypergridCoordinator", "HypergridSearchSpace"],
                    swiftSettings: language),
        .testTarget(name: "HypergridEndToEndTests",
                    dependencies: ["HypergridCoordinator", "HypergridSearchSpace", "HypergridProtocol", "ZeroMQ", "CZlib"],
                    swiftSettings: language),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"], swiftSettings: language),
        .testTarget(name: "HypergridProtocolTests",
                    dependencies: ["HypergridProtocol", "HypergridSearchSpace", "HypergridData"],
                    swiftSettings: language),
        .testTarget(name: "HypergridWorkerTests",
                    dependencies: ["HypergridWorker", "HypergridProtocol", "HypergridSearchSpace",
                                   "HypergridPreprocessing", "HypergridData", "ZeroMQ", "HypergridLogging",
                                   .product(name: "Logging", package: "swift-log")],
                    swiftSettings: language),
    ]
)
