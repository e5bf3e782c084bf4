import Foundation
import HypergridData
import HypergridKernel
import HypergridPreprocessing

/// Why a model file could not be read or written: one sentence naming the file.
public struct ModelFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension TrainedModel {
    /// The model as the bytes of an `.hgmodel` file.
    public func encoded() -> [UInt8] {
        var w = LittleEndianWriter(reservingCapacity: 4 * (weights.count + (projection?.basis.count ?? 0)) + 4096)
        w.raw(Self.magic)
        w.u16(Self.formatVersion)
        for text in [numerics, trialID, configJSON, datasetName, datasetFingerprint] { w.string(text) }
        w.optional(validationMetric)
        w.optional(testMetric)
        w.string(Self.schemaJSON(schema))
        w.doubles(standardizer.mean)
        w.doubles(standardizer.scale)
        w.i64(projection?.components ?? 0)
        w.floats(projection?.basis ?? [])
        w.f64(projection?.retainedVariance ?? 0)
        w.i64(shape.inputWidth)
        w.i64(shape.hidden.count)
        for width in shape.hidden { w.i64(width) }
        w.i64(shape.classCount)
        w.u8(shape.batchNorm ? 1 : 0)
        w.floats(weights)
        w.seal()
        return w.bytes
    }

    /// The schema as JSON with sorted keys (also what export sidecars carry).
    public static func schemaJSON(_ schema: InputSchema) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A struct of strings, numbers and arrays always encodes.
        return String(decoding: try! encoder.encode(schema), as: UTF8.self)
    }

    /// Decodes an `.hgmodel` file's bytes; `name` (the file's path) starts every error.
    public init(decoding bytes: [UInt8], name: String) throws {
        guard bytes.count >= 6, Array(bytes.prefix(4)) == Self.magic else {
            throw ModelFileError("\(name) is not a hypergrid model file (it does not start with HGMD).")
        }
        // The version comes before the checksum: a newer layout may seal itself differently.
        let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
        guard version <= Self.formatVersion else {
            throw ModelFileError("\(name) is model format \(version), written by a newer hypergrid; this build reads format \(Self.formatVersion) and earlier.")
        }
        guard var r = LittleEndianReader.sealed(bytes, from: 6) else {
            throw ModelFileError("\(name) is damaged or truncated: its CRC-32 does not match its contents.")
        }
        do {
            numerics = try r.string(); trialID = try r.string(); configJSON = try r.string()
            datasetName = try r.string(); datasetFingerprint = try r.string()
            validationMetric = try r.optional()
            testMetric = try r.optional()
            let schemaText = try r.string()
            do {
                schema = try JSONDecoder().decode(InputSchema.self, from: Data(schemaText.utf8))
            } catch {
                throw BlobFormatError("its input schema is not valid JSON")
            }
            let mean = try r.doubles(), scale = try r.doubles()
            // Standardizer's initialiser traps on a mismatch: check a file's counts first.
            guard mean.count == scale.count else { throw BlobFormatError("\(mean.count) means but \(scale.count) scales") }
            standardizer = Standardizer(mean: mean, scale: scale)
            let components = try r.i64()
            let basis = try r.floats()
            let retained = try r.f64()
            // PCAProjection's initialiser traps on a mismatch: check a file's counts first.
            guard components >= 0, basis.count == components * mean.count else {
                throw BlobFormatError("a PCA basis of \(basis.count) values is not \(components) × \(mean.count)")
            }
            projection = components == 0 ? nil
                : PCAProjection(features: mean.count, components: components, basis: basis, retainedVariance: retained)
            let inputWidth = try r.i64()
            let depth = try r.count(8)
            var hidden: [Int] = []
            for _ in 0..<depth { hidden.append(try r.i64()) }
            let outputs = try r.i64()
            let batchNorm = try r.u8()
            guard batchNorm <= 1 else { throw BlobFormatError("bad BatchNorm flag \(batchNorm)") }
            guard inputWidth > 0, outputs > 0, hidden.allSatisfy({ $0 > 0 }),
                  ([inputWidth, outputs] + hidden).allSatisfy({ $0 < 1 << 28 }) else {
                throw BlobFormatError("impossible layer widths")
            }
            shape = MLPShape(inputWidth: inputWidth, hidden: hidden, classCount: outputs, batchNorm: batchNorm == 1)
            weights = try r.floats()
        } catch let error as BlobFormatError {
            throw ModelFileError("\(name) is damaged: \(error.description).")
        }
        guard r.isAtEnd else { throw ModelFileError("\(name) is damaged: \(r.end - r.offset) unexpected bytes before its checksum.") }
        if let problem = inconsistency { throw ModelFileError("\(name) is not a usable model: \(problem).") }
    }

    /// Reads and decodes the `.hgmodel` file at `url`.
    public static func read(from url: URL) throws -> TrainedModel {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw ModelFileError("Cannot read the model file \(url.path): \(Self.reason(error)).")
        }
        return try TrainedModel(decoding: bytes, name: url.path)
    }

    /// The OS's reason without Foundation's wrapping sentence.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
        return ns.localizedDescription
    }
}
