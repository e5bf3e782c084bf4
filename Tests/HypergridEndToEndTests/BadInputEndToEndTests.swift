import Foundation
import HypergridProtocol
import HypergridSearchSpace
import Testing
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Every row of ``BadInputTable``: the real binary, the exact line, the exact exit status.
@Suite(.serialized) struct BadInputEndToEndTests {
    @Test(arguments: BadInputTable.rows)
    func badInput(_ row: BadInput) throws {
        let dir = try temporaryDirectory("bad-input")
        defer { try? FileManager.default.removeItem(at: dir) }
        try BadInputFixtures.write(in: dir)
        var values = ["$DIR": dir.path, "$NUMERICS": HypergridVersion.numerics, "$VERSION": "\(WireFormat.version)"]
        var keepAlive: [AnyObject] = []
        switch row.setup {
        case .files: break
        case .keys:
            for name in ["coordinator", "worker"] {
                let (status, log) = try CLIProcess.run(["keygen", dir.path + "/keys/" + name], in: dir)
                try #require(status == 0, "\(log)")
            }
        case .corruptCache:
            let (status, log) = try CLIProcess.run(arguments(row.command, values), in: dir,
                                                   environment: environment(row.command))
            try #require(status == 0, "\(log)")
            let cache = dir.appendingPathComponent("cache")
            let file = try #require(try FileManager.default.contentsOfDirectory(atPath: cache.path).first { $0.hasSuffix(".hgdata") })
            values["$CACHEFILE"] = file
            let handle = try FileHandle(forUpdating: cache.appendingPathComponent(file))
            try handle.seek(toOffset: 5000)
            let byte = try #require(try handle.read(upToCount: 1))
            try handle.seek(toOffset: 5000)
            try handle.write(contentsOf: [byte[byte.startIndex] ^ 0xFF])
            try handle.close()
        case .portInUse:
            let (fd, port) = try listeningSocket()
            defer { close(fd) }   // held until the command below has run
            values["$PORT"] = "\(port)"
            try check(row, values, in: dir)
            return
        case .closedPort:
            let (fd, port) = try listeningSocket()
            close(fd)
            values["$PORT"] = "\(port)"
        case .models:
            values["$KEPT"] = try ModelFixtures.write(in: dir)
        case .fakeCoordinator(let version, let reason):
            let fake = try FakeCoordinator(answer: BadInputTable.refusal(version: version, substitute(reason, values)))
            keepAlive.append(fake)
            values["$PORT"] = fake.port
        }
        try check(row, values, in: dir)
        withExtendedLifetime(keepAlive) {}
    }

    /// Runs the row's command and compares the line and the status exactly.
    private func check(_ row: BadInput, _ values: [String: String], in dir: URL) throws {
        let (status, output) = try CLIProcess.run(arguments(row.command, values), in: dir, timeout: 60,
                                                  environment: environment(row.command))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expected = substitute(row.message, values)
        #expect(lines.contains(expected), "expected the line \(expected) in:\n\(output)")
        #expect(status == row.status, "\(output)")
        // One message: no second error line, and nothing after it but the usage text.
        let errors = lines.filter { $0.hasPrefix("Error:") }
        #expect(errors.count <= 1, "\(output)")
        if row.status != 0, row.status != 64 {
            #expect(lines.last(where: { !$0.isEmpty }) == expected, "the last line should be the message:\n\(output)")
        }
    }

    private func substitute(_ text: String, _ values: [String: String]) -> String {
        values.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    /// The words after `hypergrid` (leading `NAME=value` settings are the environment).
    private func arguments(_ command: String, _ values: [String: String]) -> [String] {
        Array(command.split(separator: " ").drop { $0 != "hypergrid" }.dropFirst().map { substitute(String($0), values) })
    }

    /// The `NAME=value` settings before `hypergrid`.
    private func environment(_ command: String) -> [String: String] {
        var env: [String: String] = [:]
        for word in command.split(separator: " ").prefix(while: { $0 != "hypergrid" }) {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { env[String(parts[0])] = String(parts[1]) }
        }
        return env
    }

    /// A TCP socket listening on a free loopback port.
    private func listeningSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound && listen(fd, 4) == 0)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// `docs/bad-inputs.md` shows exactly these rows.
    @Test func theDocumentShowsTheTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = root.appendingPathComponent("docs/bad-inputs.md")
        let table = BadInputDocument.table(numerics: HypergridVersion.numerics, protocolVersion: WireFormat.version)
        if ProcessInfo.processInfo.environment["HYPERGRID_WRITE_DOCS"] == "1" {
            try BadInputDocument.write(table, to: doc)
        }
        let text = try String(contentsOf: doc, encoding: .utf8)
        let shown = text.split(separator: "\n").filter { $0.hasPrefix("|") }.map(String.init)
        #expect(shown == table, "regenerate with HYPERGRID_WRITE_DOCS=1 swift test --filter theDocumentShowsTheTable")
        #expect(BadInputTable.rows.count >= 20)
    }
}

/// A ROUTER on a free loopback port that answers every message with one frame.
final class FakeCoordinator: @unchecked Sendable {
    let port: String
    private let stop = NSLock()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(answer: [UInt8]) throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.linger, 0)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        port = String(endpoint[endpoint.index(after: endpoint.lastIndex(of: ":")!)...])
        Thread { [self] in
            while !isStopped {
                if let frames = try? router.receive(timeoutMilliseconds: 50), let peer = frames.first {
                    try? router.send(to: peer, [answer])
                }
            }
            router.close()
            done.signal()
        }.start()
    }

    private var isStopped: Bool { stop.lock(); defer { stop.unlock() }; return stopped }

    deinit {
        stop.lock(); stopped = true; stop.unlock()
        done.wait()
    }
}

/// The files the rows refer to.
enum BadInputFixtures {
    /// Ten values on each of seven axes: 10,000,000 points.
    static let hugeGrid: String = {
        func list(_ f: (Int) -> String) -> String { "[" + (1...10).map(f).joined(separator: ", ") + "]" }
        return "dataset: {name: synthetic}\n"
            + "model: {hidden: \(list { "\($0 * 8)" }), dropout: \(list { "\(Double($0) / 20)" })}\n"
            + "training: {learning_rate: \(list { "\(Double($0) / 1000)" }), reg: \(list { "\(Double($0) / 1e5)" }), "
            + "batch_size: \(list { "\($0 * 10)" }), momentum: \(list { "\(0.5 + Double($0) / 50)" }), "
            + "warmup_epochs: \(list { "\($0)" })}\n"
    }()

    static func write(in dir: URL) throws {
        let files = [
            "good.yaml": """
                dataset: {name: synthetic, train_rows: 300, validation_rows: 50, test_rows: 50}
                model: {hidden: [8], init: he}
                training: {optimizer: sgd, learning_rate: 0.1, iterations: 20, batch_size: 50}
                """,
            "malformed.yaml": "dataset: {name: synthetic\nmodel: [\n",
            "wrong-type.yaml": "dataset: {name: synthetic}\nmodel: {hidden: [16]}\ntraining: {learning_rate: fast}\n",
            "unknown-key.yaml": "dataset: {name: synthetic}\nmodel: {hidden: [16], activation: gelu}\ntraining: {learning_rate: 0.1}\n",
            "empty-list.yaml": "dataset: {name: synthetic}\nmodel: {hidden: [16]}\ntraining: {learning_rate: []}\n",
            "empty.yaml": "",
            "missing-data.yaml": "dataset: {name: cifar10, path: \(dir.path)/no-such-dir}\nmodel: {hidden: [16]}\ntraining: {learning_rate: 0.1}\n",
            "image-regression.yaml": "dataset: {name: fashion-mnist,\n          task: regression}\nmodel: {hidden: [16]}\n",
            "unknown-task.yaml": "dataset: {format: csv, path: \(dir.path)/good.csv, label: y,\n          task: ranking}\nmodel: {hidden: [16]}\n",
            "early-stop-halving.yaml": "dataset: {name: synthetic}\nmodel: {hidden: [16]}\ntraining: {epochs: 9, early_stop: 5}\nsearch: {kind: halving}\n",
            "huge.yaml": hugeGrid,
            "huge-random.yaml": hugeGrid + "search: {kind: random, samples: 5000}\n",
            "verify-range.yaml": "dataset: {name: synthetic}\nmodel: {hidden: [16]}\ntraining: {iterations: 10}\nsearch: {kind: grid, verify: 10}\n",
            "short.key": "abc\n",
            "garbled.key": String(repeating: "~", count: 40) + "\n",
            "a-file": "not a directory\n",
        ]
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        for sub in ["truncated", "keys", "no-keys"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"] {
            try Data(count: 1000).write(to: dir.appendingPathComponent("truncated/\(name).bin"))
        }
        try BadDataFixtures.write(in: dir)
    }
}
