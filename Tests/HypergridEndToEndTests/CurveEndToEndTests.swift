import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// CurveZMQ with real processes over TCP loopback: `hypergrid keygen`, a coordinator with
/// `--key/--authorized-keys` and workers with `--key/--coordinator-key`.
@Suite(.serialized) struct CurveEndToEndTests {
    /// A synthetic grid of two short trials.
    func writeGrid(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("grid.yaml")
        try """
        dataset: {name: synthetic, train_rows: 2000, validation_rows: 200, test_rows: 200}
        model: {hidden: [16], init: he}
        training: {optimizer: sgd, learning_rate: [0.5, 0.1], iterations: 200, batch_size: 100}
        search: {kind: grid}
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func keygen(_ prefix: URL, in dir: URL) throws {
        let (status, log) = try CLIProcess.run(["keygen", prefix.path], in: dir)
        try #require(status == 0, "\(log)")
    }

    /// Starts a CURVE coordinator on a free loopback port and returns it with its endpoint.
    func startCoordinator(in dir: URL, grid: URL, authorized: URL) throws -> (CLIProcess, String) {
        let coordinator = try CLIProcess(["coordinator", "--grid", grid.path, "--run-dir", dir.appendingPathComponent("run").path,
                                          "--bind", "tcp://127.0.0.1:*", "--heartbeat", "0.2", "--liveness", "5",
                                          "--cache-dir", dir.appendingPathComponent("cache").path,
                                          "--key", dir.appendingPathComponent("coordinator.key").path,
                                          "--authorized-keys", authorized.path],
                                         log: dir.appendingPathComponent("coordinator.log"))
        var endpoint: String?
        _ = waitUntil(timeout: 60) {
            endpoint = Self.endpoint(in: coordinator.log)
            return endpoint != nil || !coordinator.isRunning
        }
        let found = try #require(endpoint, "\(coordinator.log)")
        return (coordinator, found)
    }

    static func endpoint(in log: String) -> String? {
        guard let range = log.range(of: #"listening on tcp://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return nil }
        return String(log[range].dropFirst("listening on ".count))
    }

    func worker(_ name: String, endpoint: String, key: URL, coordinatorKey: URL, in dir: URL,
                extra: [String] = []) throws -> CLIProcess {
        try CLIProcess(["worker", "--connect", endpoint, "--name", name, "--heartbeat", "0.2", "--liveness", "3",
                        "--cache-dir", dir.appendingPathComponent("cache").path,
                        "--key", key.path, "--coordinator-key", coordinatorKey.path] + extra,
                       log: dir.appendingPathComponent("\(name).log"))
    }

    @Test func keygenWritesAPrivateSecretAndRefusesToOverwrite() throws {
        let dir = try temporaryDirectory("keygen")
        let prefix = dir.appendingPathComponent("w")
        let (status, log) = try CLIProcess.run(["keygen", prefix.path], in: dir)
        #expect(status == 0, "\(log)")
        var st = stat()
        stat(prefix.path + ".key", &st)
        #expect(st.st_mode & 0o777 == 0o600)
        stat(prefix.path + ".pub", &st)
        #expect(st.st_mode & 0o777 == 0o644)
        let pub = try String(contentsOfFile: prefix.path + ".pub", encoding: .utf8)
        #expect(pub.count == 41 && log.contains("public key: \(pub.dropLast())"), "\(log)")
        let (again, refusal) = try CLIProcess.run(["keygen", prefix.path], in: dir)
        #expect(again == 1)
        #expect(refusal.contains("Error: \(prefix.path).key already exists; pass --force to replace it."), "\(refusal)")
        #expect(try String(contentsOfFile: prefix.path + ".pub", encoding: .utf8) == pub)
    }

    @Test func listedWorkerCompletesTheGrid() throws {
        let dir = try temporaryDirectory("curve-listed")
        let grid = try writeGrid(in: dir)
        try keygen(dir.appendingPathComponent("coordinator"), in: dir)
        try keygen(dir.appendingPathComponent("w1"), in: dir)
        let (coordinator, endpoint) = try startCoordinator(in: dir, grid: grid, authorized: dir.appendingPathComponent("w1.pub"))
        defer { coordinator.signal(SIGKILL) }
        let w1 = try worker("w1", endpoint: endpoint, key: dir.appendingPathComponent("w1.key"),
                            coordinatorKey: dir.appendingPathComponent("coordinator.pub"), in: dir)
        defer { w1.signal(SIGKILL) }
        #expect(coordinator.wait(timeout: 120) == 0, "\(coordinator.log)")
        #expect(coordinator.log.contains("CurveZMQ on: public key"), "\(coordinator.log)")
        let replay = try Journal.read(dir.appendingPathComponent("run").path)
        #expect(replay.results.count == 2)
        #expect(replay.results.values.allSatisfy { $0.worker == "w1" })
        #expect(w1.wait(timeout: 30) == 0, "\(w1.log)")
        // What the run directory holds, and who may read it: the assignment secret is the
        // coordinator's alone; no temporary file of an atomic write is left behind.
        let runDir = dir.appendingPathComponent("run").path
        var modes: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: runDir) {
            var st = stat()
            stat(runDir + "/" + name, &st)
            modes[name] = Int(st.st_mode & 0o777)
        }
        // models/ holds the kept best model (search.keep_models defaults to 1); dataset.json
        // the dataset line and each split's rows.
        #expect(modes == ["journal.jsonl": 0o644, "leaderboard.csv": 0o644, "assignment.secret": 0o600,
                          "models": 0o755, "dataset.json": 0o644], "\(modes)")
    }

    @Test func unlistedWorkerIsRefusedAndLogged() throws {
        let dir = try temporaryDirectory("curve-unlisted")
        let grid = try writeGrid(in: dir)
        for name in ["coordinator", "listed", "intruder"] { try keygen(dir.appendingPathComponent(name), in: dir) }
        let (coordinator, endpoint) = try startCoordinator(in: dir, grid: grid, authorized: dir.appendingPathComponent("listed.pub"))
        defer { coordinator.signal(SIGKILL) }
        // A valid key pair and the right coordinator key, but not in --authorized-keys.
        let intruder = try worker("intruder", endpoint: endpoint, key: dir.appendingPathComponent("intruder.key"),
                                  coordinatorKey: dir.appendingPathComponent("coordinator.pub"), in: dir,
                                  extra: ["--give-up-after", "2"])
        defer { intruder.signal(SIGKILL) }
        let intruderKey = try String(contentsOfFile: dir.appendingPathComponent("intruder.pub").path, encoding: .utf8).dropLast()
        #expect(waitUntil(timeout: 30) { coordinator.log.contains("refused a worker connection from 127.0.0.1: key \(intruderKey) is not in the authorized keys") },
                "\(coordinator.log)")
        #expect(intruder.wait(timeout: 30) == 5, "\(intruder.log)")
        #expect(intruder.log.contains("no answer from the coordinator at \(endpoint)"), "\(intruder.log)")
        #expect(intruder.log.contains("the coordinator at \(endpoint) refused this worker's key (ZAP status 400): its public key must be in the coordinator's --authorized-keys"),
                "\(intruder.log)")
        #expect(intruder.log.contains("CurveZMQ on: this worker's public key is \(intruderKey)"), "\(intruder.log)")
        #expect(intruder.log.contains("No coordinator answered at \(endpoint) in 2 s; check --coordinator-key and that this worker's public key is in the coordinator's --authorized-keys."),
                "\(intruder.log)")
        #expect(!intruder.log.contains("assigned trial"), "\(intruder.log)")
        #expect(!coordinator.log.contains("intruder"), "the coordinator never heard from it: \(coordinator.log)")
        #expect(((try? Journal.read(dir.appendingPathComponent("run").path))?.results.count ?? 0) == 0)
    }

    @Test func workerWithTheWrongCoordinatorKeyGetsNothing() throws {
        let dir = try temporaryDirectory("curve-wrong-server")
        let grid = try writeGrid(in: dir)
        for name in ["coordinator", "impostor", "w1"] { try keygen(dir.appendingPathComponent(name), in: dir) }
        let (coordinator, endpoint) = try startCoordinator(in: dir, grid: grid, authorized: dir.appendingPathComponent("w1.pub"))
        defer { coordinator.signal(SIGKILL) }
        // A listed worker that trusts another server key: the handshake never completes.
        let w1 = try worker("w1", endpoint: endpoint, key: dir.appendingPathComponent("w1.key"),
                            coordinatorKey: dir.appendingPathComponent("impostor.pub"), in: dir,
                            extra: ["--give-up-after", "2"])
        defer { w1.signal(SIGKILL) }
        #expect(w1.wait(timeout: 30) == 5, "\(w1.log)")
        #expect(w1.log.contains("no answer from the coordinator at \(endpoint)"), "\(w1.log)")
        // The coordinator could not even read its handshake, so it refused no key.
        #expect(!w1.log.contains("refused this worker's key"), "\(w1.log)")
        #expect(!w1.log.contains("assigned trial"), "\(w1.log)")
        #expect(!coordinator.log.contains("w1"), "\(coordinator.log)")
        #expect(((try? Journal.read(dir.appendingPathComponent("run").path))?.results.count ?? 0) == 0)
    }

    @Test func runWithKeysGivesItsLocalWorkersAnEphemeralPair() throws {
        let dir = try temporaryDirectory("curve-run")
        let grid = try writeGrid(in: dir)
        try keygen(dir.appendingPathComponent("coordinator"), in: dir)
        try keygen(dir.appendingPathComponent("remote"), in: dir)
        let runDir = dir.appendingPathComponent("run")
        func keyDirectories() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("hypergrid-keys.") })
        }
        let before = try keyDirectories()
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--workers", "1", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path,
                                                "--key", dir.appendingPathComponent("coordinator.key").path,
                                                "--authorized-keys", dir.appendingPathComponent("remote.pub").path], in: dir)
        #expect(status == 0, "\(log)")
        #expect(log.contains("2 authorized worker key(s) including the local workers'"), "\(log)")
        #expect(try Journal.read(runDir.path).results.count == 2)
        // The ephemeral key directory is gone.
        #expect(try keyDirectories() == before)
    }
}
