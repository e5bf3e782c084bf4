import Foundation
import HypergridKernel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about this machine that a worker reports in its `ready` message.
public enum HostInfo {
    /// The short host name, or `localhost` if it cannot be read.
    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// `host:pid`, the default worker name.
    public static var defaultWorkerName: String { "\(hostName):\(getpid())" }

    /// The GEMM kernels this process runs (``GEMMKernelPath/active``) and the instruction
    /// sets this CPU has, e.g. `kernel avx512; cpu avx2 fma avx512f`, so that a slow or mismatched machine can be
    /// spotted in the coordinator's log.
    public static var cpuFeatures: String {
        #if arch(x86_64)
        let kernel = GEMMKernelPath.active.rawValue
        #else
        let kernel = "generic"
        #endif
        let found = cpuFlags(fromCPUInfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        return "kernel \(kernel); cpu " + (found.isEmpty ? "unknown" : found.joined(separator: " "))
    }

    /// The flags that matter to the kernel, in a fixed order, from `/proc/cpuinfo` text.
    static func cpuFlags(fromCPUInfo text: String) -> [String] {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        let flags = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return ["avx2", "fma", "avx512f"].filter(flags.contains)
    }
}
