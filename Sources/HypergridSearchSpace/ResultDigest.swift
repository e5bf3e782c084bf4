import Crypto
import Foundation
import HypergridPrimitives

/// The SHA-256 digest of what a trial's training produced that any worker must reproduce
/// bit for bit (issue 17 §3, verified results): the status, the accuracies and other
/// metrics, the history, and the final weights. Workers compute it; the coordinator only
/// compares two workers' digests of the same trial.
///
/// Left out: what legitimately differs between machines or runs, i.e. the wall time and
/// throughput, and the reason text (a failure's message may name a path or a host).
/// Every number enters as its IEEE-754 bit pattern, little-endian, so NaN payloads and
/// signed zeros count; an optional enters as a presence byte and then its value.
public enum ResultDigest {
    /// The digest in lower-case hex (64 digits).
    /// - Parameter weights: the trained network's parameters in the trainer's order; nil
    ///   when the trial produced none (it diverged or failed).
    public static func hex(of outcome: TrialOutcome, weights: [Float]?) -> String {
        var hasher = SHA256()
        var bytes: [UInt8] = Array("hypergrid-result-digest-1\n".utf8)
        let m = outcome.metrics
        put(m.status.rawValue, &bytes)
        put(Int64(m.iterations), &bytes)
        for value in [m.trainAccuracy, m.validationAccuracy, m.testAccuracy, m.finalLoss] { put(value, &bytes) }
        put(m.resumedAt.map(Int64.init), &bytes)
        for regression in [m.trainRegression, m.validationRegression, m.testRegression] {
            bytes.append(regression == nil ? 0 : 1)
            if let r = regression { for v in [r.rmse, r.mae, r.r2] { put(v, &bytes) } }
        }
        let h = outcome.history
        put(Int64(h.lossEvery), &bytes)
        put(Int64(h.loss.count), &bytes)
        for v in h.loss { put(v, &bytes) }
        for curve in [h.trainAccuracy, h.validationAccuracy] {
            put(Int64(curve.count), &bytes)
            for v in curve { put(v, &bytes) }
        }
        bytes.append(h.validationRMSE == nil ? 0 : 1)
        if let curve = h.validationRMSE {
            put(Int64(curve.count), &bytes)
            for v in curve { put(v, &bytes) }
        }
        hasher.update(data: bytes)
        bytes.removeAll(keepingCapacity: true)
        if let weights {
            hasher.update(data: [1] + Array(withUnsafeBytes(of: Int64(weights.count).littleEndian) { Array($0) }))
            // The weights go in as they lie in memory (x86-64 and arm64 are little-endian).
            weights.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        } else {
            hasher.update(data: [0])
        }
        return Hex.string(hasher.finalize())
    }

    private static func put(_ text: String, _ bytes: inout [UInt8]) {
        put(Int64(text.utf8.count), &bytes)
        bytes += text.utf8
    }

    private static func put(_ value: Int64, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func put(_ value: Int64?, _ bytes: inout [UInt8]) {
        bytes.append(value == nil ? 0 : 1)
        if let value { put(value, &bytes) }
    }

    private static func put(_ value: Double, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    private static func put(_ value: Double?, _ bytes: inout [UInt8]) {
        bytes.append(value == nil ? 0 : 1)
        if let value { put(value, &bytes) }
    }

    private static func put(_ value: Float, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
}
