import Foundation
import Testing
@testable import HypergridKernel

/// The run-time choice of GEMM micro-kernels (`GEMMKernelPath`). That both paths give the
/// reference's bits is GEMMBitExactTests' and GEMMWorkspaceAndThreadsTests' job; that the
/// binary never runs AVX-512 code on a CPU without it is KernelDispatchEndToEndTests'.
@Suite struct GEMMKernelPathTests {
    /// The x86-64-v4 flags as Linux lists them in /proc/cpuinfo (it drops them when the
    /// OS does not enable the AVX-512 register state), or nil where that file is absent.
    static func cpuinfoHasAVX512() -> Bool? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        return ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains)
    }

    @Test func cpuidAgreesWithTheOperatingSystem() throws {
        #if arch(x86_64)
        let listed = try #require(Self.cpuinfoHasAVX512() as Bool?, "no /proc/cpuinfo to compare CPUID with")
        #expect(GEMMKernelPath.supported == (listed ? [.avx2, .avx512] : [.avx2]))
        #else
        #expect(GEMMKernelPath.supported == [.avx2])
        #endif
        #expect(GEMMKernelPath.widest == GEMMKernelPath.supported.last)
    }

    @Test func theDefaultIsTheWidestPath() throws {
        #expect(try GEMMKernelPath.choose(environment: [:]) == GEMMKernelPath.widest)
        #expect(try GEMMKernelPath.choose(environment: ["HYPERGRID_KERNEL": ""]) == GEMMKernelPath.widest)
        if ProcessInfo.processInfo.environment["HYPERGRID_KERNEL"] == nil {
            #expect(GEMMKernelPath.active == GEMMKernelPath.widest)
        }
    }

    @Test func theEnvironmentForcesTheNarrowerPath() throws {
        #expect(try GEMMKernelPath.choose(environment: ["HYPERGRID_KERNEL": "avx2"]) == .avx2)
        #expect(try GEMMKernelPath.choose(environment: ["HYPERGRID_KERNEL": "AVX2"]) == .avx2)
    }

    @Test func aWiderPathThanTheCPURunsIsRefused() throws {
        let asked = { try GEMMKernelPath.choose(environment: ["HYPERGRID_KERNEL": "avx512"]) }
        if GEMMKernelPath.supported.contains(.avx512) {
            #expect(try asked() == .avx512)
        } else {
            #expect(throws: GEMMKernelChoiceError.unsupported(.avx512)) { try asked() }
            #expect(GEMMKernelChoiceError.unsupported(.avx512).description
                    == "HYPERGRID_KERNEL=avx512 asks for kernels this CPU cannot run; it supports avx2")
        }
    }

    @Test func anUnknownPathIsRefusedInOneSentence() {
        #expect(throws: GEMMKernelChoiceError.unknown("avx1024")) {
            try GEMMKernelPath.choose(environment: ["HYPERGRID_KERNEL": "avx1024"])
        }
        #expect(GEMMKernelChoiceError.unknown("avx1024").description
                == "HYPERGRID_KERNEL='avx1024' is not a kernel; use avx2 or avx512, or unset it for the widest this CPU runs")
    }

    @Test func eachPathSplitsAtItsOwnTiles() {
        #expect(GEMMKernelPath.avx2.lanes == 8)
        #expect((GEMMKernelPath.avx2.rowTile, GEMMKernelPath.avx2.columnTile) == (6, 16))
        if GEMMKernelPath.supported.contains(.avx512) {
            #expect(GEMMKernelPath.avx512.lanes == 16)
            #expect((GEMMKernelPath.avx512.rowTile, GEMMKernelPath.avx512.columnTile) == (8, 32))
            let split = GEMMSplit(m: 200, n: 256, k: 3072, threads: 2, path: .avx512)
            #expect(split.range(0).count % 8 == 0)
        }
    }

    /// The AVX-512 copy is the same source: Sources/HypergridGEMMAVX512 holds exactly one
    /// symlink per file of Sources/HypergridGEMMKernels, pointing at it. A file added to one
    /// side only would silently make the two paths different programs.
    @Test func theAVX512CopyIsTheSameSource() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let fm = FileManager.default
        let original = try fm.contentsOfDirectory(atPath: sources.appendingPathComponent("HypergridGEMMKernels").path)
            .filter { $0.hasSuffix(".swift") }.sorted()
        let mirror = sources.appendingPathComponent("HypergridGEMMAVX512")
        let linked = try fm.contentsOfDirectory(atPath: mirror.path).sorted()
        #expect(!original.isEmpty)
        #expect(linked == original)
        for name in linked {
            let target = try fm.destinationOfSymbolicLink(atPath: mirror.appendingPathComponent(name).path)
            #expect(target == "../HypergridGEMMKernels/\(name)", "\(name) should be a symlink to the shared source")
        }
    }
}
