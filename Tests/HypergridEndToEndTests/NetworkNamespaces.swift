import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Two network namespaces joined by a veth pair, as two hosts on one wire: the
/// coordinator's side has 10.231.0.1/24, the worker's side 10.231.0.2/24. Names carry a
/// random tag so that concurrent test runs never collide; ``remove()`` deletes both
/// namespaces, which destroys the pair with them.
final class NamespacePair {
    /// `ip` from iproute2, if installed.
    static let ip: URL? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .map { URL(fileURLWithPath: $0) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// Why namespaces cannot be made on this machine, or nil when they can: found by
    /// making (and deleting) one, since being root is not always enough in a container.
    static let unavailableReason: String? = {
        guard let ip else { return "iproute2's ip is not installed (scripts/install-deps.sh installs it)" }
        guard geteuid() == 0 else { return "making network namespaces needs root" }
        let probe = "hg-probe-\(randomTag())"
        do {
            try run(ip, ["netns", "add", probe])
            try run(ip, ["netns", "del", probe])
            return nil
        } catch {
            return "ip netns add failed: \(error)"
        }
    }()

    /// True when namespaces work; otherwise prints why, for the skipped test's log.
    static func isAvailable() -> Bool {
        if let reason = unavailableReason {
            print("skipping the network partition tests: \(reason)")
            return false
        }
        return true
    }

    let coordinatorNamespace: String
    let workerNamespace: String
    let coordinatorAddress = "10.231.0.1"
    private let coordinatorLink: String
    private let workerLink: String
    private let ip: URL

    init() throws {
        guard let ip = Self.ip else { throw CommandError(description: "iproute2's ip is not installed") }
        self.ip = ip
        let tag = Self.randomTag()
        coordinatorNamespace = "hg-c-\(tag)"
        workerNamespace = "hg-w-\(tag)"
        // Interface names have at most 15 characters.
        coordinatorLink = "hgc\(tag)"
        workerLink = "hgw\(tag)"
        do {
            try Self.run(ip, ["netns", "add", coordinatorNamespace])
            try Self.run(ip, ["netns", "add", workerNamespace])
            try Self.run(ip, ["link", "add", coordinatorLink, "type", "veth", "peer", "name", workerLink])
            try Self.run(ip, ["link", "set", coordinatorLink, "netns", coordinatorNamespace])
            try Self.run(ip, ["link", "set", workerLink, "netns", workerNamespace])
            for (namespace, link, address) in [(coordinatorNamespace, coordinatorLink, coordinatorAddress),
                                               (workerNamespace, workerLink, "10.231.0.2")] {
                try Self.run(ip, ["-n", namespace, "addr", "add", "\(address)/24", "dev", link])
                try Self.run(ip, ["-n", namespace, "link", "set", link, "up"])
                try Self.run(ip, ["-n", namespace, "link", "set", "lo", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Takes the worker's end of the wire down (a partition) or up again.
    func setWorkerLink(up: Bool) throws {
        try Self.run(ip, ["-n", workerNamespace, "link", "set", workerLink, up ? "up" : "down"])
    }

    /// Starts `hypergrid arguments…` inside one of the namespaces.
    func start(_ arguments: [String], in namespace: String, log: URL) throws -> CLIProcess {
        try CLIProcess(arguments, log: log, namespace: namespace, ip: ip)
    }

    /// Deletes both namespaces (and so the veth pair); safe to call more than once.
    func remove() {
        try? Self.run(ip, ["netns", "del", coordinatorNamespace])
        try? Self.run(ip, ["netns", "del", workerNamespace])
    }

    struct CommandError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `ip arguments…`, throwing with its error output when it fails.
    static func run(_ ip: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = ip
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandError(description: "ip \(arguments.joined(separator: " ")): \(text)")
        }
    }

    private static func randomTag() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}
