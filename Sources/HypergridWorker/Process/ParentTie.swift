import CProcessShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ties a worker's life to the `hypergrid run` that started it.
public enum ParentTie {
    /// The environment variable a local worker pool sets to its own pid.
    public static let parentPIDVariable = "HYPERGRID_PARENT_PID"

    /// If this process was started by a local worker pool, asks the kernel to send
    /// it SIGTERM when the pool's process dies, so that even a SIGKILLed
    /// `hypergrid run` leaves no orphaned worker. Returns true when the tie was made.
    @discardableResult
    public static func tieToParentIfRequested() -> Bool {
        guard let text = ProcessInfo.processInfo.environment[parentPIDVariable],
              let parent = Int32(text) else { return false }
        guard hypergrid_set_parent_death_signal(SIGTERM) == 0 else { return false }
        // The parent may have died between our fork and the prctl: nobody would
        // signal us then, so check once by hand.
        if getppid() != parent { kill(getpid(), SIGTERM) }
        return true
    }
}
