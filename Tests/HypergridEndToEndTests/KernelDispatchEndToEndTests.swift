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

    static let objdump = ["/usr/bin/objdump", "/usr/local/bin/objdump"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// An awk program over `objdump -d` output that prints the function of every instruction
    /// only AVX-512 has: zmm or opmask registers, xmm/ymm16–31, embedded broadcasts and the
    /// EVEX-only mnemonics LLVM emits for x86-64-v4.
    static let avx512Instructions = #"""
        /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
        /zmm|%k[0-7]|[xy]mm(1[6-9]|2[0-9]|3[01])|\{1to|\t(vpternlog|vperm[it]2|vmovdq[au](8|16|32|64)|vbroadcast[fi](32|64)x|vextract[fi](32|64)x|vinsert[fi](32|64)x|kmov|vpmovm2|vpmov[dq][bwd] |vpro[lr][dq]|vpcompress|vpexpand|vfixupimm|vrndscale|vscalef|vrcp14|vrsqrt14|vgetexp|vgetmant|vreduce|vrange|vpabsq|vpm(ax|in)[su]q|vplzcnt|vpconflict|vpsraq|vpmullq|vcvtt?p[sd]2u?qq|vcvtu?qq2p|vcvtt?p[sd]2udq|vcvtudq2p)/ { print fn }
        """#

    /// The static half of the proof: in the whole binary, AVX-512 instructions appear only in
    /// the AVX-512 copy of the GEMM (its module name is in every symbol), which runs only after
    /// the CPUID check, in BoringSSL's assembly, which checks CPUID itself, and in CPixelGram's
    /// VNNI Gram kernel, which PCA calls only when `hg_pixel_gram_vnni_available()`. A generic
    /// specialization of the AVX-512 copy that the linker merged with the baseline copy's
    /// would show up here.
    @Test(.enabled(if: objdump != nil, "objdump is not installed (binutils)"))
    func onlyTheAVX512CopyContainsAVX512Instructions() throws {
        #if arch(x86_64)
        let dir = try temporaryDirectory("kernel-dispatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try CLIProcess(executable: URL(fileURLWithPath: "/bin/sh"),
                               ["-c", "\"$0\" -d --no-show-raw-insn \"$1\" | awk \"$2\" | sort -u",
                                Self.objdump!, CLIProcess.executable.path, Self.avx512Instructions],
                               log: dir.appendingPathComponent("objdump.log"))
        let status = p.wait(timeout: 300)
        try #require(status == 0, "\(p.log)")
        let functions = p.log.split(separator: "\n").map(String.init).filter { $0.hasPrefix("<") }
        let ours = functions.filter { $0.contains("19HypergridGEMMAVX512") }
        let boringSSL = functions.filter { $0.hasPrefix("<CCryptoBoringSSL_") }
        let pixelGram = functions.filter { $0.hasPrefix("<hg_pixel_gram_vnni") }
        #expect(ours.count >= 5, "the AVX-512 kernels are missing from the binary:\n\(p.log)")
        #expect(functions.count == ours.count + boringSSL.count + pixelGram.count,
                "AVX-512 instructions outside the AVX-512 GEMM copy: \(functions.filter { !ours.contains($0) && !boringSSL.contains($0) && !pixelGram.contains($0) })")
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
