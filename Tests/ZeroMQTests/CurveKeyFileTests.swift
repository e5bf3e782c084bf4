import Foundation
import Testing
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Key files as `hypergrid keygen` writes them and the coordinator and workers read them.
@Suite struct CurveKeyFileTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "hypergrid-keys-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        stat(path, &st)
        return st.st_mode & 0o777
    }

    @Test func writtenPairReadsBackWithPrivateSecret() throws {
        try #require(ZMQ.has("curve"))
        let dir = try scratch()
        let pair = try CurveKeyFile.writePair(prefix: dir + "/w1", force: false)
        #expect(mode(dir + "/w1.key") == 0o600)
        #expect(mode(dir + "/w1.pub") == 0o644)
        #expect(CurveKeyFile.exposureWarning(secretKeyFile: dir + "/w1.key") == nil)
        chmod(dir + "/w1.key", 0o640)
        #expect(CurveKeyFile.exposureWarning(secretKeyFile: dir + "/w1.key")
                == "secret key file \(dir)/w1.key can be read by other users (mode 0640); run chmod 600 \(dir)/w1.key")
        chmod(dir + "/w1.key", 0o600)
        let secret = try CurveKeyFile.readSecret(dir + "/w1.key")
        #expect(secret.secretKey == pair.secretKey)
        #expect(secret.publicKey == pair.publicKey)
        #expect(try CurveKeyFile.read(dir + "/w1.pub") == pair.publicKey)
        #expect(try String(contentsOfFile: dir + "/w1.pub", encoding: .utf8) == pair.publicKey.z85 + "\n")
        // No temporary files are left beside them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["w1.key", "w1.pub"])
    }

    @Test func existingFilesAreReplacedOnlyWithForce() throws {
        try #require(ZMQ.has("curve"))
        let dir = try scratch()
        let first = try CurveKeyFile.writePair(prefix: dir + "/c", force: false)
        let error = #expect(throws: KeyFileError.self) { try CurveKeyFile.writePair(prefix: dir + "/c", force: false) }
        #expect(error?.description == "\(dir)/c.key already exists; pass --force to replace it.")
        #expect(try CurveKeyFile.read(dir + "/c.key") == first.secretKey)
        let second = try CurveKeyFile.writePair(prefix: dir + "/c", force: true)
        #expect(second.secretKey != first.secretKey)
        #expect(try CurveKeyFile.read(dir + "/c.key") == second.secretKey)
        #expect(mode(dir + "/c.key") == 0o600)
    }

    @Test func unusableFilesAreOneSentenceNamingTheFile() throws {
        let dir = try scratch()
        func message(_ path: String) -> String? {
            (#expect(throws: KeyFileError.self) { try CurveKeyFile.read(path) })?.description
        }
        #expect(message(dir + "/missing.key") == "Cannot read key file \(dir)/missing.key: no such file.")
        #expect(message(dir) == "Cannot read key file \(dir): it is a directory.")
        try "abc\n".write(toFile: dir + "/short.key", atomically: true, encoding: .utf8)
        #expect(message(dir + "/short.key") == "Key file \(dir)/short.key holds 3 characters, not the 40 Z85 characters of a CURVE key.")
        try (String(repeating: "~", count: 40) + "\n").write(toFile: dir + "/tilde.key", atomically: true, encoding: .utf8)
        #expect(message(dir + "/tilde.key") == "Key file \(dir)/tilde.key is not a CURVE key: it has characters outside the Z85 alphabet.")
        _ = FileManager.default.createFile(atPath: dir + "/binary.key", contents: Data([0xFF, 0xFE, 0x00]))
        #expect(message(dir + "/binary.key") == "Key file \(dir)/binary.key is not a CURVE key: it should hold one line of 40 Z85 characters.")
        if getuid() != 0 {  // root reads anything
            try "x".write(toFile: dir + "/locked.key", atomically: true, encoding: .utf8)
            chmod(dir + "/locked.key", 0)
            #expect(message(dir + "/locked.key") == "Cannot read key file \(dir)/locked.key: permission denied.")
        }
    }

    @Test func authorizedKeysAreAFileOrADirectoryOfPubFiles() throws {
        try #require(ZMQ.has("curve"))
        let dir = try scratch()
        try FileManager.default.createDirectory(atPath: dir + "/workers", withIntermediateDirectories: true)
        let a = try CurveKeyFile.writePair(prefix: dir + "/workers/a", force: false)
        let b = try CurveKeyFile.writePair(prefix: dir + "/workers/b", force: false)
        try "notes".write(toFile: dir + "/workers/README", atomically: true, encoding: .utf8)
        // The secret .key files in the directory are not public keys and are skipped.
        #expect(try CurveKeyFile.readAuthorized(dir + "/workers") == [a.publicKey, b.publicKey])
        #expect(try CurveKeyFile.readAuthorized(dir + "/workers/a.pub") == [a.publicKey])

        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let empty = #expect(throws: KeyFileError.self) { try CurveKeyFile.readAuthorized(dir + "/empty") }
        #expect(empty?.description == "The authorized keys directory \(dir)/empty holds no .pub files, so no worker could connect.")
        let missing = #expect(throws: KeyFileError.self) { try CurveKeyFile.readAuthorized(dir + "/nope") }
        #expect(missing?.description == "Cannot read authorized keys \(dir)/nope: no such file or directory.")
        try "garbage".write(toFile: dir + "/workers/bad.pub", atomically: true, encoding: .utf8)
        let bad = #expect(throws: KeyFileError.self) { try CurveKeyFile.readAuthorized(dir + "/workers") }
        #expect(bad?.path == dir + "/workers/bad.pub")
    }
}
