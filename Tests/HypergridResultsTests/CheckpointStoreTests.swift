import Foundation
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridResults

@Suite struct CheckpointStoreTests {
    @Test func storesByTrialIDDurablyAndReadsBack() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = CheckpointStore(runDirectory: dir.path)
        let id = trial(3, cost: 1).id
        #expect(!store.contains(id) && store.load(id) == nil)
        let blob: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try store.save(blob, for: id)
        #expect(store.contains(id) && store.load(id) == blob)
        #expect(store.path(id) == dir.file("checkpoints/\(id.hex).hgckpt"))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["\(id.hex).hgckpt"])
    }

    @Test func anUnwritableDirectoryIsOneSentenceNamingTheTrial() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // A file where the checkpoints directory should be.
        _ = FileManager.default.createFile(atPath: dir.file("checkpoints"), contents: Data())
        let id = trial(4, cost: 1).id
        #expect {
            try CheckpointStore(runDirectory: dir.path).save([1, 2, 3], for: id)
        } throws: { error in
            "\(error)".hasPrefix("cannot store the checkpoint of trial \(id.short): ")
        }
    }
}
