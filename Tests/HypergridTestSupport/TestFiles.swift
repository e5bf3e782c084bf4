import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Shared by the test targets that need real files (results store, coordinator, worker,
// end to end), so that each does not keep its own copy.

/// A fresh directory under the system's temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = #function) {
        let name = "hypergrid-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The directory as a file URL, for APIs that take URLs.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Tiny tmpfs mounts, to run out of space or write to a read-only file system for real.
/// They need root and mount privileges; tests that use them are skipped elsewhere.
public enum TinyFileSystem {
    public static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TemporaryDirectory("probe")
        defer { probe.remove() }
        guard shell("mount -t tmpfs -o size=16k tmpfs '\(probe.path)'") else { return false }
        return shell("umount '\(probe.path)'")
    }()

    /// Mounts a tmpfs of `size` (e.g. `16k`) on a new directory and returns it.
    public static func mount(size: String) -> TemporaryDirectory? {
        let directory = TemporaryDirectory("tmpfs")
        guard shell("mount -t tmpfs -o size=\(size) tmpfs '\(directory.path)'") else { directory.remove(); return nil }
        return directory
    }

    public static func remount(_ directory: TemporaryDirectory, options: String) -> Bool {
        shell("mount -o remount,\(options) '\(directory.path)'")
    }

    public static func unmount(_ directory: TemporaryDirectory) {
        _ = shell("umount '\(directory.path)'")
        directory.remove()
    }

    @discardableResult
    static func shell(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
