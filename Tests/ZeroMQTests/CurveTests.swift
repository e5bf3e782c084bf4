import Foundation
import Testing
import ZeroMQ

@Suite struct Z85Tests {
    @Test func rfcVectorAndRandomRoundTrip() throws {
        // The test vector of ZeroMQ RFC 32.
        let hello: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(hello) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == hello)
        var generator = SystemRandomNumberGenerator()
        for count in stride(from: 0, through: 64, by: 4) {
            let data = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = try Z85.encode(data)
            #expect(text.utf8.count == count / 4 * 5)
            #expect(try Z85.decode(text) == data)
        }
    }

    @Test func rejectsBadLengthsAndCharacters() throws {
        #expect(throws: ZMQError.self) { try Z85.encode([1, 2, 3]) }
        #expect(throws: ZMQError.self) { try Z85.decode("Hell") }
        #expect(throws: ZMQError.self) { try Z85.decode("Hello World") }  // length 11
        #expect(throws: ZMQError.self) { try Z85.decode("Hell\"") }       // '"' is not in Z85
        #expect(throws: ZMQError.self) { try Z85.decode("Hell\u{0}") }
        #expect(throws: ZMQError.self) { try Z85.decode("#####") }       // exceeds 32 bits
        let error = #expect(throws: ZMQError.self) { try CurveKey(z85: "HelloWorld") }
        #expect(error?.description == "cannot make a CURVE key from 10 Z85 characters (need 40): Invalid argument")
    }
}

@Suite struct CurveTests {
    @Test func keyPairsAreConsistent() throws {
        try #require(ZMQ.has("curve"))
        let (pub, sec) = try curveKeyPair()
        #expect(try curvePublic(fromSecret: sec) == pub)
        #expect(try CurveKey(z85: pub.z85) == pub)
        #expect(pub != sec)
        #expect(!sec.description.contains(sec.z85))
        let (other, _) = try curveKeyPair()
        #expect(other != pub)
    }

    /// A CURVE ROUTER server and a DEALER client configured with `serverKey`.
    private func curvePair(_ context: Context, serverSecret: CurveKey, serverKey: CurveKey,
                           client: (publicKey: CurveKey, secretKey: CurveKey),
                           zapDomain: String? = nil) throws -> (server: Socket, client: Socket) {
        let server = try testSocket(context, .router)
        try server.set(.curveServer, true)
        try server.set(.curveSecretKey, serverSecret)
        if let zapDomain { try server.set(.zapDomain, zapDomain) }
        try server.bind("tcp://127.0.0.1:*")
        let dealer = try testSocket(context, .dealer, routingID: "client")
        try dealer.set(.curveServerKey, serverKey)
        try dealer.set(.curvePublicKey, client.publicKey)
        try dealer.set(.curveSecretKey, client.secretKey)
        try dealer.connect(try server.lastEndpoint)
        return (server, dealer)
    }

    @Test func handshakeWithGeneratedKeysExchangesMessages() throws {
        try #require(ZMQ.has("curve"))
        let context = try Context()
        let server = try curveKeyPair(), client = try curveKeyPair()
        let (router, dealer) = try curvePair(context, serverSecret: server.secretKey,
                                             serverKey: server.publicKey, client: client)
        #expect(try router.get(.curveServer))
        #expect(try dealer.get(.curveServerKey) == server.publicKey)
        try dealer.send(bytes("encrypted hello"))
        #expect(try router.receive(timeoutMilliseconds: 5_000) == [bytes("client"), bytes("encrypted hello")])
        try router.send(to: bytes("client"), [bytes("reply")])
        #expect(try dealer.receive(timeoutMilliseconds: 5_000) == [bytes("reply")])
    }

    @Test func clientWithWrongServerKeyExchangesNothing() throws {
        try #require(ZMQ.has("curve"))
        let context = try Context()
        let server = try curveKeyPair(), client = try curveKeyPair(), impostor = try curveKeyPair()
        let (router, dealer) = try curvePair(context, serverSecret: server.secretKey,
                                             serverKey: impostor.publicKey, client: client)
        try dealer.send(bytes("should never arrive"))
        #expect(try router.receive(timeoutMilliseconds: 700) == nil)
        #expect(try dealer.receive(timeoutMilliseconds: 0) == nil)
    }

    @Test func zapHandlerAdmitsListedClientsOnly() throws {
        try #require(ZMQ.has("curve"))
        let context = try Context()
        let server = try curveKeyPair(), listed = try curveKeyPair(), unlisted = try curveKeyPair()
        let zap = try ZAPAuthenticator(context: context, allowedClientKeys: [listed.publicKey],
                                       domain: "hypergrid")
        let second = #expect(throws: ZMQError.self) {
            try ZAPAuthenticator(context: context, allowedClientKeys: [])
        }
        #expect(second?.kind == .addressInUse)

        let (router, good) = try curvePair(context, serverSecret: server.secretKey,
                                           serverKey: server.publicKey, client: listed,
                                           zapDomain: "hypergrid")
        try good.send(bytes("let me in"))
        #expect(try router.receive(timeoutMilliseconds: 5_000) == [bytes("client"), bytes("let me in")])

        let bad = try testSocket(context, .dealer, routingID: "intruder")
        try bad.set(.curveServerKey, server.publicKey)
        try bad.set(.curvePublicKey, unlisted.publicKey)
        try bad.set(.curveSecretKey, unlisted.secretKey)
        try bad.connect(try router.lastEndpoint)
        try bad.send(bytes("let me in too"))
        #expect(try router.receive(timeoutMilliseconds: 700) == nil)
        #expect(zap.decisions.accepted >= 1)
        #expect(zap.decisions.refused >= 1)

        // After stop() the endpoint is free again for another handler.
        zap.stop()
        zap.stop()
        let replacement = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        replacement.stop()
    }

    @Test func zapHandlerReportsRefusedKeysWithTheirAddress() throws {
        try #require(ZMQ.has("curve"))
        let context = try Context()
        let server = try curveKeyPair(), listed = try curveKeyPair(), unlisted = try curveKeyPair()
        let refusals = RefusalLog()
        let zap = try ZAPAuthenticator(context: context, allowedClientKeys: [listed.publicKey]) { refusals.add($0) }
        defer { zap.stop() }
        let (router, dealer) = try curvePair(context, serverSecret: server.secretKey, serverKey: server.publicKey,
                                        client: unlisted)
        #expect(try router.receive(timeoutMilliseconds: 700) == nil)
        let deadline = ContinuousClock.now + .seconds(5)
        while refusals.all.isEmpty && ContinuousClock.now < deadline { usleep(10_000) }
        withExtendedLifetime(dealer) {}
        let first = try #require(refusals.all.first)
        #expect(first == ZAPAuthenticator.Refusal(clientKey: unlisted.publicKey.z85, mechanism: "CURVE", address: "127.0.0.1"))
    }
}

/// Refusals reported on the ZAP handler's thread, read by the test's.
final class RefusalLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ZAPAuthenticator.Refusal] = []
    func add(_ r: ZAPAuthenticator.Refusal) { lock.lock(); items.append(r); lock.unlock() }
    var all: [ZAPAuthenticator.Refusal] { lock.lock(); defer { lock.unlock() }; return items }
}
