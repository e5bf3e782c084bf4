import Foundation
import Testing

/// One binary, two GEMM paths: the release `hypergrid` picks AVX-512 where the CPU has it and
/// AVX2 otherwise, and both give the same trial bit for bit.
///
/// The proof that it never executes an AVX-512 instruction on a CPU without it: the same
/// binary trains under `qemu-x86_64 -cpu Haswell` (Debian's qemu-user: AVX2 and FMA, no
/// AVX-512), where any such instruction is SIGILL.
@Suite(.serialized) struct KernelDispatchEndToEndTests {
    /// A small trial that still runs every GEMM shape class: wide tiles (64 columns), the
    /// 10-wide output layer, BatchNorm and Adam, ragged rows (batch 50).
    static let trial = ["train", "--dataset", "synthetic", "--train-rows", "400", "--validation-rows", "100",
                        "--test-rows", "100", "--hidden", "64,40", "--batch-norm", "--optimizer", "adam",
                        "--lr", "0.003", "--batch-size", "50", "--iterations", "24", "--he-init",
                        "--seed", "7", "--no-cache", "--json"]

    static let qemu = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The fields that must be identical on every path: everything but timings, memory and
    /// the kernel's name (JSON numbers are printed exactly, so equal text is equal bits).
    static func numerics(_ report: [String: Any]) -> String {
        var kept = report
        for volatile in ["samples_per_second", "wall_seconds", "peak_rss_bytes", "kernel"] {
            kept[volatile] = nil
        }
        let data = try! JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs `command` (the binary, or qemu and the binary) and returns the JSON report.
    static func train(_ launcher: [String] = [], environment: [String: String] = [:],
                      timeout: Double = 120) throws -> [String: Any] {
        let dir = try temporaryDirectory("kernel-dispatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let executable = launcher.first.map { URL(fileURLWithPath: $0) } ?? CLIProcess.executable
        let arguments = Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [CLIProcess.executable.path]) + trial
        let p = try CLIProcess(executable: executable, arguments, log: dir.appendingPathComponent("train.log"),
                               environment: environment)
        let status = p.wait(timeout: timeout)
        let log = p.log
        try #require(status == 0, "\(launcher.first ?? "hypergrid") exited with \(status.map(String.init) ?? "a timeout"):\n\(log)")
        let line = try #require(log.split(separator: "\n").last { $0.hasPrefix("{") }, "no JSON report in:\n\(log)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static var cpuHasAVX512: Bool {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set((text.split(separator: "\n").first { $0.hasPrefix("flags") } ?? "").split(separator: " "))
        return ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy { flags.contains(Substring($0)) }
    }

    @Test func theDefaultIsTheWidestPathAndAVX2GivesTheSameBits() throws {
        let native = try Self.train()
        let narrow = try Self.train(environment: ["HYPERGRID_KERNEL": "avx2"])
        #expect(native["kernel"] as? String == (Self.cpuHasAVX512 ? "avx512" : "avx2"))
        #expect(narrow["kernel"] as? String == "avx2")
        #expect(native["status"] as? String == "done")
        #expect((native["trial_id"] as? String)?.count == 64)
        #expect(Self.numerics(narrow) == Self.numerics(native))
    }

    @Test(.enabled(if: qemu != nil,
                   "qemu-x86_64 is not installed (scripts/install-deps.sh --deploy-tests installs qemu-user)"))
    func theBinaryRunsOnACPUWithoutAVX512() throws {
        #if arch(x86_64)
        let emulated = try Self.train([Self.qemu!, "-cpu", "Haswell"], timeout: 600)
        #expect(emulated["kernel"] as? String == "avx2")
        #expect(emulated["status"] as? String == "done")
        let native = try Self.train()
        #expect(emulated["trial_id"] as? String == native["trial_id"] as? String)
        #expect(emulated["val_accuracy"] as? Double == native["val_accuracy"] as? Double)
        #expect(Self.numerics(emulated) == Self.numerics(native))
        #endif
    }

    @Test(.enabled(if: qemu != nil,
                   "qemu-x86_64 is not installed (scripts/install-deps.sh --deploy-tests installs qemu-user)"))
    func askingForAVX512OnACPUWithoutItIsRefused() throws {
        #if arch(x86_64)
        let dir = try temporaryDirectory("kernel-dispatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try CLIProcess(executable: URL(fileURLWithPath: Self.qemu!),
                               ["-cpu", "Haswell", CLIProcess.executable.path] + Self.trial,
                               log: dir.appendingPathComponent("train.log"),
                               environment: ["HYPERGRID_KERNEL": "avx512"])
        let status = p.wait(timeout: 300)
        #expect(status == 64, "\(p.log)")
        #expect(p.log.contains("Error: HYPERGRID_KERNEL=avx512 asks for kernels this CPU cannot run; it supports avx2"),
                "\(p.log)")
        #endif
    }
}
