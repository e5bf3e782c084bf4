import Foundation
import Testing

/// PCA's LAPACK is loaded at first use with OpenBLAS's kernels chosen for the CPU
/// (docs/performance.md, cold start): the log line names them, a user's `OPENBLAS_CORETYPE`
/// wins, `HYPERGRID_KERNEL=avx2` narrows them too, and a process pinned to one core gets one
/// BLAS thread. (Runs only where Debian's OpenBLAS backs liblapack.so.3.)
@Suite struct LAPACKKernelsEndToEndTests {
    static let trial = ["train", "--dataset", "synthetic", "--train-rows", "500", "--validation-rows", "100",
                        "--test-rows", "100", "--pca", "0.9", "--no-cache", "--iterations", "2"]

    /// The kernels part of the eigen-decomposition's log line, e.g. `OpenBLAS SkylakeX kernels, 1 thread`.
    static func kernels(_ launcher: [String] = [], _ environment: [String: String]) throws -> String? {
        let dir = try temporaryDirectory("lapack-kernels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let executable = launcher.first.map { URL(fileURLWithPath: $0) } ?? CLIProcess.executable
        let arguments = Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [CLIProcess.executable.path]) + trial
        // Empty counts as unset (the test runner's own environment may hold values its
        // in-process LAPACK loading set).
        let clean = ["OPENBLAS_CORETYPE": "", "OPENBLAS_NUM_THREADS": "", "HYPERGRID_KERNEL": ""]
        let p = try CLIProcess(executable: executable, arguments, log: dir.appendingPathComponent("train.log"),
                               environment: clean.merging(environment) { _, new in new })
        let status = p.wait(timeout: 120)
        #expect(status == 0, "\(p.log)")
        guard let line = p.log.split(separator: "\n").first(where: { $0.contains("Eigen-decomposition") }),
              let start = line.range(of: "; OpenBLAS "), let end = line.range(of: ") in ") else { return nil }
        return String(line[line.index(after: start.lowerBound)..<end.lowerBound]).trimmingCharacters(in: .whitespaces)
    }

    static var hasAVX512: Bool {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f ") ?? false
    }

    @Test func kernelsFollowTheCPUAndTheUser() throws {
        guard let chosen = try Self.kernels([], [:]) else {
            return   // another LAPACK than OpenBLAS: nothing to choose
        }
        #expect(chosen.hasPrefix(Self.hasAVX512 ? "OpenBLAS SkylakeX kernels" : "OpenBLAS Haswell kernels"), "\(chosen)")
        #expect(try Self.kernels([], ["OPENBLAS_CORETYPE": "Prescott"])?.hasPrefix("OpenBLAS Prescott kernels") == true)
        #expect(try Self.kernels([], ["HYPERGRID_KERNEL": "avx2"])?.hasPrefix("OpenBLAS Haswell kernels") == true)
        #expect(try Self.kernels([], ["OPENBLAS_NUM_THREADS": "1"])?.hasSuffix(", 1 thread") == true)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset"), "needs taskset (util-linux)"))
    func aPinnedProcessGetsOneThread() throws {
        guard try Self.kernels([], [:]) != nil else { return }   // not OpenBLAS
        let pinned = try #require(try Self.kernels(["/usr/bin/taskset", "-c", "0"], [:]))
        #expect(pinned.hasSuffix(", 1 thread"), "\(pinned)")
    }
}
