import ArgumentParser
import Foundation
import HypergridKernel

/// Applies `HYPERGRID_KERNEL` before a command trains: the GEMM kernels default to the
/// widest this CPU runs (AVX-512 or AVX2); `avx2` forces the narrower. An unknown value,
/// or a path this CPU cannot run, is the user's mistake and ends the command with one
/// sentence rather than being ignored.
func applyKernelChoice() throws {
    do {
        GEMMKernelPath.active = try GEMMKernelPath.choose(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw ValidationError(error.description)
    }
}
