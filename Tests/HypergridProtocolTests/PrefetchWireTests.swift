import HypergridSearchSpace
import Testing
@testable import HypergridProtocol

/// `ready`'s prefetch: one byte appended only when set, so that every other `ready` keeps
/// its bytes; a value outside 1–8 is refused both ways.
@Suite struct PrefetchWireTests {
    let plain = WorkerHello(workerName: "w:1", cpuFeatures: "avx2", threadCount: 2, cachedDatasets: ["f"])

    @Test func onlyASetPrefetchAddsAByteAndItRoundTrips() throws {
        let bytes = try Message.ready(plain).encoded()
        for prefetch in 1...WorkerHello.maxPrefetch {
            var hello = plain
            hello.prefetch = prefetch
            let encoded = try Message.ready(hello).encoded()
            #expect(encoded == bytes + [UInt8(prefetch)])
            #expect(try Message(decoding: encoded) == .ready(hello))
        }
        #expect(try Message(decoding: bytes) == .ready(plain))
    }

    @Test func anOutOfRangePrefetchIsRefused() throws {
        let bytes = try Message.ready(plain).encoded()
        for bad: UInt8 in [0, 9, 255] {
            #expect(throws: ProtocolError.invalidValue(field: "ready.prefetch", reason: "must be 1 to 8, not \(bad)")) {
                try Message(decoding: bytes + [bad])
            }
        }
        #expect(throws: ProtocolError.trailingBytes(message: "ready", count: 1)) { try Message(decoding: bytes + [1, 1]) }
        var hello = plain
        hello.prefetch = 9
        #expect(throws: ProtocolError.invalidValue(field: "ready.prefetch", reason: "must be 0 to 8, not 9")) {
            try Message.ready(hello).encoded()
        }
    }
}
