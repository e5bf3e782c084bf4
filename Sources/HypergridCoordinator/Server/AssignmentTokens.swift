import Crypto
import Foundation
import HypergridFiles
import HypergridSearchSpace
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Proofs that the coordinator assigned a trial: a result is recorded only if it carries
/// the token of its trial's assignment.
///
/// A token is HMAC-SHA256 over the trial id and the attempt number, keyed with a secret
/// kept in the run directory (`assignment.secret`, 32 random bytes, mode 0600). Only the
/// worker the assignment went to learns the token (over CurveZMQ, nobody else sees it),
/// so a peer cannot report a result for a trial it was not given, and cannot change the
/// attempt it claims. Because the secret lives with the journal, a coordinator restarted
/// on the same run directory still accepts the results its predecessor's workers finish
/// while it was down; workers sharing a cache directory may deliver each other's results,
/// which carry their tokens.
public struct AssignmentTokens: Sendable {
    /// The secret's file name inside a run directory.
    public static let fileName = "assignment.secret"
    /// HMAC already keyed with the secret, made once: each token starts from a copy of it
    /// (swift-crypto's hash states are values), instead of hashing the key again for every
    /// assignment and every result, which was a tenth of the coordinator's time with no-op trials.
    private let keyed: KeyedHMAC

    /// Tokens keyed with `secret` (32 bytes).
    public init(secret: [UInt8]) {
        keyed = KeyedHMAC(HMAC<SHA256>(key: SymmetricKey(data: secret)))
    }

    /// The run directory's secret, created (atomically, mode 0600) if there is none.
    /// The caller holds the journal's lock, so two coordinators never race to create it.
    public static func load(runDirectory: String) throws -> AssignmentTokens {
        let path = (runDirectory as NSString).appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: path) {
            let fd = try POSIX.open(path, O_RDONLY, operation: "open")
            defer { closeDescriptor(fd) }
            let bytes = try POSIX.readAll(fd, path: path)
            guard bytes.count == 32 else {
                throw CoordinatorError("\(path) holds \(bytes.count) bytes instead of 32; delete it to make a new one (workers' unacknowledged results will then be trained again).")
            }
            return AssignmentTokens(secret: bytes)
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // A temporary file linked into place: a crash never leaves a short secret behind.
        let temp = path + ".\(getpid()).tmp"
        let fd = try POSIX.open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600, operation: "create")
        defer { unlink(temp) }
        do {
            defer { closeDescriptor(fd) }
            try secret.withUnsafeBytes { try POSIX.writeAll(fd, $0, path: temp, operation: "write") }
            try POSIX.fsync(fd, path: temp)
        }
        guard link(temp, path) == 0 else { throw FileSystemError(path: path, operation: "create", errno: errno) }
        try POSIX.fsyncDirectory(runDirectory)
        return AssignmentTokens(secret: secret)
    }

    /// The token of `attempt` of `trial`.
    public func token(for trial: TrialID, attempt: UInt32) -> [UInt8] {
        var mac = keyed.state
        mac.update(data: Self.message(trial, attempt))
        return Array(mac.finalize())
    }

    /// Whether `token` is the one ``token(for:attempt:)`` gives (compared in constant time:
    /// every byte is looked at whatever the first difference).
    public func isValid(_ token: [UInt8], for trial: TrialID, attempt: UInt32) -> Bool {
        guard token.count == SHA256.byteCount else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(token, self.token(for: trial, attempt: attempt)) { difference |= a ^ b }
        return difference == 0
    }

    private static func message(_ trial: TrialID, _ attempt: UInt32) -> Data {
        Data("hypergrid-assignment\n\(trial.hex)\n\(attempt)".utf8)
    }
}

/// swift-crypto's HMAC is not `Sendable`; this box is never mutated after it is made, and a
/// token copies the state out of it (a copy-on-write value), so sharing it is safe.
private final class KeyedHMAC: @unchecked Sendable {
    let state: HMAC<SHA256>
    init(_ state: HMAC<SHA256>) { self.state = state }
}
