import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `executable arguments…` in `directory` to completion, stdout and stderr into one log
/// file, and returns its exit status (128 + signal when a signal ended it; nil on timeout) and
/// its output. After `timeout` seconds it gets SIGTERM, so that a script's cleanup trap runs,
/// and SIGKILL 30 s later.
///
/// Why not Foundation's `Process`: the scripts this runs start daemons (munged, slurmctld,
/// sshd). A child of `Process` started from a test's thread inherits that thread's signal
/// mask, in which Dispatch blocks SIGTERM and SIGINT, so those daemons could not be stopped
/// politely; and `Process` learns of the exit through a socket that every descendant inherits,
/// so a daemon left running kept the test waiting. posix_spawn with an empty signal mask,
/// default handlers and no inherited descriptors beyond 0–2 has neither problem.
func runTool(_ executable: String, _ arguments: [String], in directory: URL,
             timeout: Double) throws -> (status: Int32?, output: String) {
    let log = directory.appendingPathComponent("tool-\(UUID().uuidString.prefix(8)).log")
    let pid = try spawnLogged(executable, arguments, log: log, in: directory.path)

    var rawStatus: Int32 = 0
    func reaped() -> Bool { waitpid(pid, &rawStatus, WNOHANG) == pid }
    var finished = waitUntil(timeout: timeout, reaped)
    if !finished {
        kill(pid, SIGTERM)
        finished = waitUntil(timeout: 30, reaped)
        if !finished {
            kill(pid, SIGKILL)
            waitpid(pid, &rawStatus, 0)
        }
    }
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    guard finished else { return (nil, output) }
    return (exitCode(waitStatus: rawStatus), output)
}

/// Starts `executable arguments…` (in `directory`, if given) with stdin from /dev/null and
/// stdout and stderr into `log`, an empty signal mask, default signal handlers and no
/// descriptors beyond 0–2 (see ``runTool(_:_:in:timeout:)`` for why), and returns its pid.
func spawnLogged(_ executable: String, _ arguments: [String], log: URL, in directory: String? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    try GNUSpawnActions.closeFrom(&actions, 3)
    if let directory { try GNUSpawnActions.changeDirectory(&actions, directory) }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard spawned == 0 else {
        throw NSError(domain: NSPOSIXErrorDomain, code: Int(spawned),
                      userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(spawned)))"])
    }
    return pid
}

/// A `waitpid` status as a shell shows it: the exit code, or 128 + the signal that ended the
/// process (WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import).
func exitCode(waitStatus: Int32) -> Int32 {
    let signal = waitStatus & 0x7f
    return signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34) and _addchdir_np (2.29), which the
/// Glibc module does not import (they are GNU extensions), looked up by name.
private enum GNUSpawnActions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static func symbol<T>(_ name: String, as type: T.Type) throws -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {  // RTLD_DEFAULT
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSYS),
                          userInfo: [NSLocalizedDescriptionKey: "this C library has no \(name)"])
        }
        return unsafeBitCast(address, to: type)
    }

    static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ fd: Int32) throws {
        _ = try symbol("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)(&actions, fd)
    }

    static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, _ path: String) throws {
        _ = try symbol("posix_spawn_file_actions_addchdir_np", as: ChangeDirectory.self)(&actions, path)
    }
}
