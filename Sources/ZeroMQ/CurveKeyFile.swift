import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a key file could not be used; `description` is one sentence naming the file.
public struct KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let description: String

    init(_ path: String, _ sentence: String) {
        self.path = path
        self.description = sentence
    }
}

/// CURVE key files as `hypergrid keygen` writes them: `PREFIX.key` holds the Z85 secret
/// key on one line (mode 0600), `PREFIX.pub` the Z85 public key (mode 0644).
///
/// The files hold nothing but the 40 characters and a newline, so they can be made with
/// any tool that speaks Z85 and checked with `cat`. A secret file's public key is derived
/// from it (`zmq_curve_public`), so the two can never disagree.
public enum CurveKeyFile {
    /// The key in a file of one Z85 line (a trailing newline and surrounding blanks are allowed).
    public static func read(_ path: String) throws -> CurveKey {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                let why = isDirectory.boolValue ? "it is a directory" : "permission denied"
                throw KeyFileError(path, "Cannot read key file \(path): \(why).")
            }
            throw KeyFileError(path, "Cannot read key file \(path): no such file.")
        }
        guard data.count <= 1024, let text = String(data: data, encoding: .utf8) else {
            throw KeyFileError(path, "Key file \(path) is not a CURVE key: it should hold one line of 40 Z85 characters.")
        }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.utf8.count == 40, !line.contains("\n") else {
            throw KeyFileError(path, "Key file \(path) holds \(line.utf8.count) characters, not the 40 Z85 characters of a CURVE key.")
        }
        guard let key = try? CurveKey(z85: line) else {
            throw KeyFileError(path, "Key file \(path) is not a CURVE key: it has characters outside the Z85 alphabet.")
        }
        return key
    }

    /// A sentence to warn with when a secret key file can be read by other users (as
    /// `ssh` warns), or nil when only its owner can read it.
    public static func exposureWarning(secretKeyFile path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        return "secret key file \(path) can be read by other users (mode 0\(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)"
    }

    /// A secret key file and the public key derived from it.
    public static func readSecret(_ path: String) throws -> (publicKey: CurveKey, secretKey: CurveKey) {
        let secret = try read(path)
        return (try curvePublic(fromSecret: secret), secret)
    }

    /// The public keys in `path`: one `.pub` file, or every `*.pub` file of a directory
    /// (other files are ignored, so the directory may hold notes). An empty set is an error:
    /// it would admit nobody, which is never what was meant.
    public static func readAuthorized(_ path: String) throws -> Set<CurveKey> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KeyFileError(path, "Cannot read authorized keys \(path): no such file or directory.")
        }
        guard isDirectory.boolValue else { return [try read(path)] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw KeyFileError(path, "Cannot read authorized keys directory \(path): permission denied.")
        }
        var keys = Set<CurveKey>()
        for name in names.sorted() where name.hasSuffix(".pub") && !name.hasPrefix(".") {
            keys.insert(try read((path as NSString).appendingPathComponent(name)))
        }
        guard !keys.isEmpty else {
            throw KeyFileError(path, "The authorized keys directory \(path) holds no .pub files, so no worker could connect.")
        }
        return keys
    }

    /// Generates a key pair and writes `prefix.key` (mode 0600) and `prefix.pub` (0644).
    ///
    /// Each file is written to a temporary name, fsync'd and then linked into place, so a
    /// reader never sees half a key. Without `force` an existing file is never replaced
    /// (the link fails instead), and a secret key is never readable by others, even for a
    /// moment, whatever the umask.
    @discardableResult
    public static func writePair(prefix: String, force: Bool) throws -> (publicKey: CurveKey, secretKey: CurveKey) {
        let keyPath = prefix + ".key", pubPath = prefix + ".pub"
        if !force {
            for path in [keyPath, pubPath] where FileManager.default.fileExists(atPath: path) {
                throw KeyFileError(path, "\(path) already exists; pass --force to replace it.")
            }
        }
        let pair = try curveKeyPair()
        try write(pair.secretKey.z85 + "\n", to: keyPath, mode: 0o600, replace: force)
        try write(pair.publicKey.z85 + "\n", to: pubPath, mode: 0o644, replace: force)
        return pair
    }

    /// Temporary file beside `path`, fsync, then `link` (no replace) or `rename` (replace).
    static func write(_ text: String, to path: String, mode: mode_t, replace: Bool) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        func failure(_ action: String) -> KeyFileError {
            let reason = String(cString: strerror(errno))
            return KeyFileError(path, "Cannot \(action) key file \(path): \(reason.prefix(1).lowercased() + reason.dropFirst()).")
        }
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("write") }
        defer { unlink(temp) }
        do {
            defer { close(fd) }
            // open(2)'s mode is filtered by the umask, which could only make it stricter;
            // fchmod makes a public key readable by everyone as intended.
            fchmod(fd, mode)
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ systemWrite(fd, $0.baseAddress, $0.count) }) == bytes.count else {
                throw failure("write")
            }
            guard fsync(fd) == 0 else { throw failure("sync") }
        }
        if replace {
            guard rename(temp, path) == 0 else { throw failure("write") }
        } else {
            guard link(temp, path) == 0 else {
                if errno == EEXIST { throw KeyFileError(path, "\(path) already exists; pass --force to replace it.") }
                throw failure("write")
            }
        }
        let dirfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
