import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The repository this test was compiled from (scripts/ and deploy/ live there).
private let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `scripts/install-deps.sh --deploy-tests`: idempotent, and quick once everything is there.
func installDeployTestDependencies(in dir: URL) throws {
    let (status, output) = try runTool("/bin/bash", [repository.appendingPathComponent("scripts/install-deps.sh").path, "--deploy-tests"],
                                       in: dir, timeout: 900)
    try #require(status == 0, "install-deps.sh --deploy-tests failed: \(output)")
}

/// The `--flags` a `hypergrid SUBCOMMAND --help` lists.
func helpFlags(_ subcommand: String, in dir: URL) throws -> Set<String> {
    let (status, output) = try CLIProcess.run([subcommand, "--help"], in: dir, timeout: 30)
    try #require(status == 0, "\(output)")
    return flags(in: output)
}

/// Every `--word` in a text, outside `#` comment lines.
func flags(in text: String) -> Set<String> {
    let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        .joined(separator: "\n")
    return Set(code.matches(of: #/(?:^|[^\w-])(--[a-z][a-z-]*)/#).map { String($0.output.1) })
}

/// The deployment paths of deploy/ and scripts/, run for real where this machine allows it
/// (root: network namespaces with sshd, a one-node Slurm cluster) and validated offline where
/// it does not (Kubernetes has no cluster here and Docker no daemon; systemd is not PID 1).
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces, sshd and the Slurm daemons"))
struct DeploymentEndToEndTests {
    let binary = CLIProcess.executable.path

    @Test func workersSpawnedOverSSHOnTwoNamespaceHostsFinishACurveGrid() throws {
        let dir = try temporaryDirectory("multihost")
        let (status, output) = try runTool("/bin/bash", [repository.appendingPathComponent("scripts/test-multihost").path,
                                                         "--binary", binary, "--work", dir.path], in: dir, timeout: 600)
        #expect(status == 0, "\(output)")
        let runDir = dir.appendingPathComponent("run")
        let rows = try Leaderboard.load(runDir.appendingPathComponent("leaderboard.csv").path)
        #expect(rows.count == 8, "\(output)")
        #expect(rows.allSatisfy { $0.status == .done })
        let workers = Set(rows.flatMap { $0.workers.components(separatedBy: ", ") })
        #expect(workers == ["hosta-1", "hostb-1"], "workers from both hosts: \(workers)")
        // Each trial once in the journal.
        let ids = try Journal.read(runDir.path).entries.compactMap { entry -> TrialID? in
            if case .trialResult(let r) = entry.record { return r.trial }
            return nil
        }
        #expect(ids.count == 8 && Set(ids).count == 8, "journal results: \(ids.count)")
        // The script removed its namespaces (named hg-<id>-…) and stopped the workers.
        if let id = output.firstMatch(of: #/namespaces hg-([0-9a-f]+)-/#)?.1 {
            let (_, namespaces) = try runTool("/usr/sbin/ip", ["netns", "list"], in: dir, timeout: 30)
            #expect(!namespaces.contains("hg-\(id)-"), "\(namespaces)")
        } else {
            Issue.record("the script did not name its namespaces: \(output)")
        }
        let (pgrep, _) = try runTool("/usr/bin/pgrep", ["-f", "\(dir.path)/remote-host"], in: dir, timeout: 30)
        #expect(pgrep == 1, "no worker of the test still runs")
    }

    @Test func slurmBatchScriptRunsAGridOnAOneNodeCluster() throws {
        let dir = try temporaryDirectory("slurm")
        let (status, output) = try runTool("/bin/bash", [repository.appendingPathComponent("scripts/test-slurm").path,
                                                         "--binary", binary, "--work", dir.path], in: dir, timeout: 600)
        #expect(status == 0, "\(output)")
        let rows = try Leaderboard.load(dir.appendingPathComponent("submit/runs/grid/leaderboard.csv").path)
        #expect(rows.count == 6, "\(output)")
        #expect(rows.allSatisfy { $0.status == .done })
        #expect(output.contains("COMPLETED"), "\(output)")
        // The daemons the script started are gone.
        let (pgrep, left) = try runTool("/usr/bin/pgrep", ["-af", "\(dir.path)/slurm/slurm.conf"], in: dir, timeout: 30)
        #expect(pgrep == 1, "Slurm daemons left running: \(left)")
    }

    @Test func systemdUnitsVerifyCleanlyAndUseRealFlags() throws {
        let dir = try temporaryDirectory("systemd")
        try installDeployTestDependencies(in: dir)
        let units = ["hypergrid-coordinator.service", "hypergrid-worker@.service"]
        // The units name /usr/local/bin/hypergrid; verify checks that the command exists.
        for unit in units {
            let text = try String(contentsOf: repository.appendingPathComponent("deploy/systemd/\(unit)"), encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/local/bin/hypergrid", with: binary)
                .write(to: dir.appendingPathComponent(unit), atomically: true, encoding: .utf8)
        }
        let verify = ["verify", "--man=no"] + units.map { "./\($0)" }
        let (status, output) = try runTool("/usr/bin/systemd-analyze", verify, in: dir, timeout: 60)
        // verify exits 0 even on unknown keys and unparsable values: every warning counts.
        #expect(status == 0 && output.isEmpty, "\(output)")

        // The same check catches a misspelt key.
        let broken = dir.appendingPathComponent(units[0])
        try (try String(contentsOf: broken, encoding: .utf8)).replacingOccurrences(of: "Restart=on-failure", with: "Restart=on-failure\nMemoryMaxx=1G")
            .write(to: broken, atomically: true, encoding: .utf8)
        let (_, brokenOutput) = try runTool("/usr/bin/systemd-analyze", verify, in: dir, timeout: 60)
        #expect(brokenOutput.contains("MemoryMaxx"), "\(brokenOutput)")

        // Every flag an ExecStart passes is one the subcommand has.
        for (unit, subcommand) in zip(units, ["coordinator", "worker"]) {
            let text = try String(contentsOf: repository.appendingPathComponent("deploy/systemd/\(unit)"), encoding: .utf8)
            let execStart = text.components(separatedBy: "\nExecStart=")[1].components(separatedBy: "\n#")[0]
            let unknown = flags(in: execStart).subtracting(try helpFlags(subcommand, in: dir))
            #expect(unknown.isEmpty, "\(unit) passes flags `hypergrid \(subcommand)` does not have: \(unknown.sorted())")
        }
    }

    @Test func kubernetesManifestsRenderAndPassStrictSchemaValidation() throws {
        let dir = try temporaryDirectory("kubernetes")
        try installDeployTestDependencies(in: dir)
        let venv = ProcessInfo.processInfo.environment["HYPERGRID_DEPLOY_VENV"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/hypergrid/deploy-venv").path
        let validator = venv + "/bin/kubernetes-validate"
        // A copy with real keys in keys/, as the README tells a user to make them.
        let copy = dir.appendingPathComponent("kubernetes")
        try FileManager.default.copyItem(at: repository.appendingPathComponent("deploy/kubernetes"), to: copy)
        // Not the keys a developer may have made in this checkout.
        try? FileManager.default.removeItem(at: copy.appendingPathComponent("keys"))
        try FileManager.default.createDirectory(at: copy.appendingPathComponent("keys"), withIntermediateDirectories: true)
        for name in ["coordinator", "worker"] {
            let (status, output) = try CLIProcess.run(["keygen", copy.appendingPathComponent("keys/\(name)").path], in: dir)
            try #require(status == 0, "\(output)")
        }
        let renderedFile = dir.appendingPathComponent("rendered.yaml")
        let (kustomize, kustomizeOutput) = try runTool("/usr/bin/env", ["kubectl", "kustomize", copy.path, "-o", renderedFile.path],
                                                       in: dir, timeout: 120)
        try #require(kustomize == 0, "\(kustomizeOutput)")
        let rendered = try String(contentsOf: renderedFile, encoding: .utf8)
        for kind in ["Namespace", "PersistentVolumeClaim", "ConfigMap", "Secret", "Service", "Deployment"] {
            #expect(rendered.contains("kind: \(kind)\n"), "no \(kind) in \(rendered)")
        }
        for key in ["coordinator.key", "coordinator.pub", "worker.key", "worker.pub"] {
            #expect(rendered.contains("  \(key): "), "the Secret has no \(key)")
        }
        let (status, output) = try runTool(validator, ["--strict", "-k", "1.30.0", renderedFile.path], in: dir, timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.components(separatedBy: " passed for resource ").count - 1 == 7, "\(output)")

        // The validator rejects a field the schema does not have.
        let broken = dir.appendingPathComponent("broken.yaml")
        try (try String(contentsOf: copy.appendingPathComponent("workers.yaml"), encoding: .utf8))
            .replacingOccurrences(of: "  replicas: 4", with: "  replicas: 4\n  replicaz: 4")
            .write(to: broken, atomically: true, encoding: .utf8)
        let (brokenStatus, brokenOutput) = try runTool(validator, ["--strict", "-k", "1.30.0", broken.path], in: dir, timeout: 120)
        #expect(brokenStatus != 0 && brokenOutput.contains("replicaz"), "\(brokenOutput)")

        // The worker's arguments are flags `hypergrid worker` has.
        let workerFlags = flags(in: try String(contentsOf: copy.appendingPathComponent("workers.yaml"), encoding: .utf8))
        #expect(workerFlags.subtracting(try helpFlags("worker", in: dir)).isEmpty, "\(workerFlags)")
        let coordinatorText = try String(contentsOf: copy.appendingPathComponent("coordinator.yaml"), encoding: .utf8)
        #expect(flags(in: coordinatorText).subtracting(try helpFlags("coordinator", in: dir)).isEmpty)
    }
}

/// scripts/spawn-workers refuses what it cannot use before it connects anywhere.
@Suite struct SpawnWorkersArgumentTests {
    func spawn(_ arguments: [String], hosts: String) throws -> (Int32?, String) {
        let dir = try temporaryDirectory("spawn-args")
        try hosts.write(to: dir.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
        return try runTool("/bin/bash", [repository.appendingPathComponent("scripts/spawn-workers").path] + arguments,
                           in: dir, timeout: 60)
    }

    @Test func malformedHostsFileLineIsNamedInOneSentence() throws {
        let (status, output) = try spawn(["start", "--hosts", "hosts", "--connect", "tcp://10.0.0.1:5555"],
                                         hosts: "# workers\nnode01 4\nnode02 many\n")
        #expect(status == 64)
        #expect(output == "spawn-workers: hosts:3: workers must be a positive whole number or auto, got 'many'.\n")
    }

    @Test func hostListedTwiceIsRefused() throws {
        let (status, output) = try spawn(["status", "--hosts", "hosts"], hosts: "node01\nnode01 2 alice\n")
        #expect(status == 64)
        #expect(output == "spawn-workers: hosts:2: node01 is listed twice.\n")
    }

    @Test func startWithoutAValidCoordinatorAddressIsRefused() throws {
        let (missing, missingOutput) = try spawn(["start", "--hosts", "hosts"], hosts: "node01\n")
        #expect(missing == 64 && missingOutput.contains("--connect tcp://HOST:PORT"), "\(missingOutput)")
        let (bad, badOutput) = try spawn(["start", "--hosts", "hosts", "--connect", "node01:5555"], hosts: "node01\n")
        #expect(bad == 64 && badOutput == "spawn-workers: --connect must look like tcp://HOST:PORT, got 'node01:5555'.\n")
    }
}
