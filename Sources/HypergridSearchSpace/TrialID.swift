import Crypto
import Foundation
import HypergridPrimitives

/// Versions that decide whether two results are comparable.
public enum HypergridVersion {
    /// The version of the training numerics (kernel, layers, optimizers, trainer, RNG).
    /// Bump it whenever a change can alter any bit of a trained model: trial ids
    /// hash it, so results of different numerics never mix in one journal, and a
    /// coordinator refuses workers whose numerics differ from its own.
    public static let numerics = "hg-numerics-2"
    /// The release of the hypergrid program.
    public static let program = "0.1.0"
}

/// A trial's content address: SHA-256 over its canonical configuration, the dataset
/// fingerprint and the numerics version, as 64 lower-case hex digits.
///
/// Two runs of the same grid point on the same data get the same id, which is what
/// lets a coordinator skip trials whose result is already in its journal.
public struct TrialID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let hex: String

    /// Wraps an existing id; returns nil unless `hex` is 64 lower-case hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64,
              hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.hex = hex
    }

    /// Computes the id of `config` trained on the dataset with `datasetFingerprint`.
    public init(config: TrialConfig, datasetFingerprint: String,
                numericsVersion: String = HypergridVersion.numerics) {
        var hasher = SHA256()
        hasher.update(data: Data("hypergrid-trial\n".utf8))
        hasher.update(data: config.canonicalJSON)
        hasher.update(data: Data("\n\(datasetFingerprint)\n\(numericsVersion)".utf8))
        self.hex = Hex.string(hasher.finalize())
    }

    /// The first 12 hex digits, for tables and logs.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (lhs: TrialID, rhs: TrialID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = TrialID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "a trial id is 64 lower-case hex digits"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

extension TrialConfig {
    /// JSON with sorted keys: the byte string trial ids hash.
    public var canonicalJSON: Data {
        if let bytes = try? CanonicalJSONEncoder.encode(self) { return Data(bytes) }
        return foundationCanonicalJSON
    }

    /// The same bytes through Foundation's `JSONEncoder`: the reference the fast encoder is
    /// tested against, and its fallback for values it leaves alone.
    var foundationCanonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of numbers, strings and arrays cannot fail.
        return try! encoder.encode(self)
    }
}
