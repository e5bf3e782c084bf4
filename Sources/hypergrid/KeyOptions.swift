import ArgumentParser
import Foundation
import HypergridCoordinator
import ZeroMQ

/// `hypergrid keygen PREFIX`: a CURVE key pair for a coordinator or a worker.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public).",
        discussion: """
        Give the coordinator its .key with --key and the workers' .pub files (or a directory of \
        them) with --authorized-keys; give each worker its own .key with --key and the \
        coordinator's .pub with --coordinator-key.
        """)

    @Argument(help: "Path prefix of the two files, e.g. keys/coordinator.")
    var prefix: String
    @Flag(help: "Replace existing key files.")
    var force = false

    func run() throws {
        let pair = try CurveKeyFile.writePair(prefix: prefix, force: force)
        print("wrote \(prefix).key (secret, mode 0600) and \(prefix).pub")
        print("public key: \(pair.publicKey.z85)")
    }
}

/// `--key` and `--authorized-keys` of `coordinator` and `run`.
struct ServerKeyOptions: ParsableArguments {
    @Option(help: "The coordinator's secret key file (from hypergrid keygen); turns on CurveZMQ.")
    var key: String?
    @Option(name: .customLong("authorized-keys"),
            help: "A worker's .pub file, or a directory of .pub files: the only workers admitted.")
    var authorizedKeys: String?

    var enabled: Bool { key != nil }

    /// Where keygen put the public half of `--key`, for the hint printed at start.
    var publicKeyFileHint: String {
        guard let key, key.hasSuffix(".key") else { return "COORDINATOR.pub" }
        return String(key.dropLast(4)) + ".pub"
    }

    func validate() throws {
        if (key == nil) != (authorizedKeys == nil) {
            throw ValidationError("--key and --authorized-keys go together: give both (CurveZMQ) or neither (plain TCP).")
        }
    }

    /// Reads the key files; nil when CURVE is off. Throws a one-sentence ``KeyFileError``.
    func load(extraAuthorized: Set<CurveKey> = []) throws -> (curve: CoordinatorCurve, publicKey: CurveKey)? {
        guard let key, let authorizedKeys else { return nil }
        let pair = try CurveKeyFile.readSecret(key)
        if let warning = CurveKeyFile.exposureWarning(secretKeyFile: key) { printError("warning: \(warning)") }
        let allowed = try CurveKeyFile.readAuthorized(authorizedKeys).union(extraAuthorized)
        return (CoordinatorCurve(secretKey: pair.secretKey, authorizedKeys: allowed), pair.publicKey)
    }
}
