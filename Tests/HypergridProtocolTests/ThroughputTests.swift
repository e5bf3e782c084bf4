import Foundation
import HypergridProtocol
import Testing
import HypergridData

/// Encode+decode cost of the messages on the dispatch path, printed as messages/s.
///
/// The dispatch target is ≥ 5,000 trials/s, so an assign or result must cost far below
/// 100 µs; that is the release bound asserted for them (and 1 ms for a 40 KB result with a
/// 10,000-point loss curve). Debug builds are ~50x slower, so their bound is 50x looser.
/// Either fails only on a pathological regression, not on noise from a shared machine.
@Suite struct ThroughputTests {
    #if DEBUG
    static let slack = 50.0
    #else
    static let slack = 1.0
    #endif

    /// Average µs for one encode plus one decode of `message`, over `count` rounds.
    private func measure(_ label: String, _ message: Message, count: Int) throws -> Double {
        let clock = ContinuousClock()
        var bytes = 0
        let start = clock.now
        for _ in 0..<count {
            let frame = try message.encoded()
            let decoded = try Message(decoding: frame)
            bytes += frame.count
            if decoded.type != message.type { Issue.record("decoded \(decoded.type)") }
        }
        let elapsed = clock.now - start
        let seconds = elapsed / .seconds(1)
        let micros = seconds / Double(count) * 1e6
        print("protocol \(label): \(bytes / count) B/frame, "
              + String(format: "%.2f µs per encode+decode, %.0f messages/s", micros, 1e6 / micros))
        return micros
    }

    @Test func dispatchPathMessagesAreCheap() throws {
        for (label, message, count, boundMicroseconds) in [
            ("assign", Message.assign(sampleAssignment), 20_000, 100.0),
            ("result (245 losses, 10 epochs)", Message.result(sampleReport(lossCount: 245)), 10_000, 100.0),
            ("result (10,000 losses)", Message.result(sampleReport(lossCount: 10_000)), 500, 1_000.0),
            ("ack", Message.ack(sampleAssignment.trialID), 20_000, 100.0),
        ] {
            let micros = try measure(label, message, count: count)
            #expect(micros < boundMicroseconds * Self.slack, "\(label)")
        }
    }

    @Test func chunkChecksumRate() {
        let data = (0..<(16 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let clock = ContinuousClock()
        let start = clock.now
        let crc = CRC32.checksum(data)
        let sliced = clock.now - start
        let referenceStart = clock.now
        let reference = bytewiseTableCRC32(data)
        let bytewise = clock.now - referenceStart
        #expect(crc == reference)
        func rate(_ d: Duration) -> Double {
            16.0 / (d / .seconds(1))
        }
        print(String(format: "crc32: zlib %.0f MiB/s, byte table %.0f MiB/s", rate(sliced), rate(bytewise)))
    }
}

/// CRC-32 with one 256-entry table, one byte per step: an independent reference for zlib.
func bytewiseTableCRC32(_ data: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for b in 0..<256 {
        var c = UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        table[b] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
    return crc ^ 0xFFFF_FFFF
}
