import Foundation
import HypergridCoordinator
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a directory, as a disk that can be filled in a moment.
struct SmallDisk {
    let path: String

    /// Mounts a tmpfs of `size` (e.g. `512k`) on `path`, which must exist.
    init(mountedOn path: String, size: String) throws {
        let status = "size=\(size),mode=0755".withCString { mount("tmpfs", path, "tmpfs", 0, $0) }
        guard status == 0 else { throw TestSetupError(description: "mount tmpfs on \(path): \(String(cString: strerror(errno)))") }
        self.path = path
    }

    /// Whether this process may mount file systems (root with CAP_SYS_ADMIN); prints why not.
    static func isAvailable() -> Bool {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hypergrid-mount-probe-\(UUID().uuidString.prefix(8))").path
        defer { rmdir(dir) }
        guard mkdir(dir, 0o755) == 0 else { return false }
        do {
            let disk = try SmallDisk(mountedOn: dir, size: "64k")
            disk.unmount()
            return true
        } catch {
            print("skipping the disk-full test: \(error)")
            return false
        }
    }

    /// Writes zeros to a new file until the disk refuses (ENOSPC); returns the bytes written.
    func fill() -> Int {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return total }
            total += n
        }
    }

    /// Detaches the mount (lazily, should a process still hold a file on it).
    func unmount() { umount2(path, Int32(MNT_DETACH)) }
}

extension FaultToleranceTests {
    /// The run directory's disk fills up mid-run.
    @Suite(.enabled(if: SmallDisk.isAvailable())) struct DiskFull {
        @Test func fullDiskHaltsTheRunSayingWhyAndLosesNothingJournalled() throws {
            let scenario = try FaultScenario("disk-full")
            defer { scenario.stop() }
            try FileManager.default.createDirectory(at: scenario.runDir, withIntermediateDirectories: true)
            let disk = try SmallDisk(mountedOn: scenario.runDir.path, size: "512k")
            defer { disk.unmount() }
            let grid = try scenario.writeGrid(widths: [64, 96], learningRates: [0.2, 0.1, 0.05, 0.02], iterations: [3000])
            let workerCache = scenario.dir.appendingPathComponent("worker-cache").path
            let coordinator = try scenario.start(scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 8),
                                                 log: "coordinator")
            let worker = try scenario.start(scenario.workerArguments("w1", heartbeat: 0.25, liveness: 8, cache: workerCache),
                                            log: "worker-1")
            #expect(waitUntil(timeout: 120) { journalledResults(scenario.runDir) >= 2 }, "\(coordinator.log)")
            #expect(disk.fill() > 0)

            // The next append fails: the coordinator halts, says why, and exits non-zero.
            let status = coordinator.wait(timeout: 120)
            #expect(status == 1, "\(coordinator.log)")
            let journalPath = scenario.runDir.appendingPathComponent(Journal.fileName).path
            let errorLine = coordinator.log.split(separator: "\n").last { $0.hasPrefix("Error: ") }.map(String.init) ?? ""
            #expect(errorLine.hasPrefix("Error: run halted: the journal could not be written"), "\(coordinator.log)")
            #expect(errorLine.contains("cannot append to \(journalPath): No space left on device"), "\(errorLine)")
            // Nothing was handed out after the halt.
            let afterHalt = coordinator.log.components(separatedBy: "halting: ").dropFirst().joined()
            #expect(!afterHalt.isEmpty && assignments(in: afterHalt).isEmpty, "\(coordinator.log)")
            let onFullDisk = try Journal.read(scenario.runDir.path)
            #expect(onFullDisk.tornTail == nil && onFullDisk.results.count >= 2)
            #expect(onFullDisk.results.count < 8, "the disk filled before the grid was done")

            // The worker was told to stop and keeps the result the journal could not take.
            #expect(worker.wait(timeout: 30) == 0, "\(worker.log)")
            let kept = unacknowledgedResults(cache: workerCache)
            #expect(!kept.isEmpty, "\(worker.log)")

            // Rerun on a copy of the run directory on a good disk: it resumes.
            let goodRun = scenario.dir.appendingPathComponent("good-run")
            try FileManager.default.createDirectory(at: goodRun, withIntermediateDirectories: true)
            // The whole run directory: its assignment secret too, without which the worker's
            // kept result (signed by this coordinator) would be rejected and trained again.
            for name in [Journal.fileName, Leaderboard.fileName, AssignmentTokens.fileName] {
                try FileManager.default.copyItem(at: scenario.runDir.appendingPathComponent(name),
                                                 to: goodRun.appendingPathComponent(name))
            }
            disk.unmount()
            let rerun = try scenario.start(scenario.coordinatorArguments(grid: grid, runDir: goodRun, heartbeat: 0.25, liveness: 8),
                                           log: "coordinator-2")
            let restarted = try scenario.start(scenario.workerArguments("w2", heartbeat: 0.25, liveness: 8, cache: workerCache),
                                               log: "worker-2")
            #expect(rerun.wait(timeout: 240) == 0, "\(rerun.log)")
            #expect(rerun.log.contains("\(onFullDisk.results.count) already in the journal"), "\(rerun.log)")
            let replay = try expectEveryTrialExactlyOnce(goodRun, planned: 8)
            for (id, result) in onFullDisk.results { #expect(replay.results[id] == result, "\(id.short) changed") }
            // The kept results were delivered, not trained again.
            let logs = worker.log + restarted.log
            for hex in kept {
                let short = String(hex.prefix(12))
                #expect(trainingsStarted(short, workerLog: logs) == 1, "\(short) trained again")
                #expect(replay.results.contains { $0.key.hex == hex }, "\(short) missing")
            }
            #expect(restarted.wait(timeout: 30) == 0, "\(restarted.log)")
            #expect(unacknowledgedResults(cache: workerCache).isEmpty)
            print("disk full: halted with \"\(errorLine)\"; \(onFullDisk.results.count) journalled results kept, \(kept.count) kept by the worker delivered on rerun, 8/8 trials once")
        }

        /// A run directory on a read-only file system (root ignores file modes, so a mode
        /// would not do): the coordinator refuses before serving anyone, in one line.
        @Test func readOnlyRunDirectoryIsRefusedInOneLineNamingIt() throws {
            let scenario = try FaultScenario("read-only")
            defer { scenario.stop() }
            let disk = scenario.dir.appendingPathComponent("ro").path
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            let mounted = "size=64k".withCString { mount("tmpfs", disk, "tmpfs", UInt(MS_RDONLY), $0) }
            try #require(mounted == 0, "mount a read-only tmpfs: \(String(cString: strerror(errno)))")
            defer { umount2(disk, Int32(MNT_DETACH)) }
            let grid = try scenario.writeGrid(widths: [8], learningRates: [0.1], iterations: [10])
            for runDir in [disk, disk + "/run"] {
                let coordinator = try scenario.start(
                    scenario.coordinatorArguments(grid: grid, runDir: URL(fileURLWithPath: runDir), heartbeat: 1, liveness: 4),
                    log: "coordinator-\(runDir.count)")
                #expect(coordinator.wait(timeout: 60) == 1, "\(coordinator.log)")
                let errors = coordinator.log.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
                #expect(errors.count == 1, "\(coordinator.log)")
                #expect(errors.first?.contains("\(runDir)") == true && errors.first?.contains("Read-only file system") == true,
                        "\(coordinator.log)")
                #expect(!coordinator.log.contains("listening on"))
                // Refused before the dataset is prepared (a PCA would make the user wait a minute).
                #expect(!coordinator.log.contains("preparing"), "\(coordinator.log)")
            }
        }
    }
}
