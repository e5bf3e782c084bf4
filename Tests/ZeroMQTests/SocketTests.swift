import Foundation
import Testing
import ZeroMQ

@Suite struct SocketTests {
    @Test func routerDealerRoundTripWithIdentitiesOverTCP() throws {
        let context = try Context()
        let (router, endpoint) = try boundRouter(context)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))
        let w1 = try testSocket(context, .dealer, routingID: "w1")
        let w2 = try testSocket(context, .dealer, routingID: "w2")
        try w1.connect(endpoint)
        try w2.connect(endpoint)

        try w1.send(bytes("hello from 1"))
        try w2.send(bytes("hello from 2"))
        var seen: [String: [UInt8]] = [:]
        for _ in 0..<2 {
            let message = try router.receive()
            #expect(message.count == 2)  // routing id + payload
            seen[String(decoding: message[0], as: UTF8.self)] = message[1]
        }
        #expect(seen == ["w1": bytes("hello from 1"), "w2": bytes("hello from 2")])

        // Replies go to the right peer by routing id.
        try router.send(to: bytes("w2"), [bytes("to 2")])
        try router.send(to: bytes("w1"), [bytes("to 1")])
        #expect(try w1.receive() == [bytes("to 1")])
        #expect(try w2.receive() == [bytes("to 2")])
    }

    @Test func multipartFramesArriveWholeAndInOrderOverInproc() throws {
        let context = try Context()
        let a = try testSocket(context, .pair), b = try testSocket(context, .pair)
        try a.bind("inproc://multipart")
        try b.connect("inproc://multipart")
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let message: [[UInt8]] = [bytes("header"), [], big, [0, 255, 0]]
        try a.send(message)
        try a.send([bytes("second")])
        #expect(try b.receive() == message)
        #expect(try b.receive() == [bytes("second")])
    }

    @Test func pollAndTimeoutsReturnNothingWhenIdle() throws {
        let context = try Context()
        let (router, _) = try boundRouter(context)
        let pair = try testSocket(context, .pair)
        try pair.bind("inproc://idle")
        let clock = ContinuousClock()

        let start = clock.now
        #expect(try Socket.pollReadable([router, pair], timeoutMilliseconds: 150) == [])
        #expect(milliseconds(clock.now - start) >= 140)
        #expect(try Socket.poll([(router, .readable)], timeoutMilliseconds: 0) == [[]])

        #expect(try router.receive(timeoutMilliseconds: 50) == nil)
        #expect(try router.receive(timeoutMilliseconds: 0) == nil)
        let nonBlocking = #expect(throws: ZMQError.self) { try router.receive(dontWait: true) }
        #expect(nonBlocking?.kind == .wouldBlock)

        try router.set(.receiveTimeout, 30)
        let timedOut = #expect(throws: ZMQError.self) { try router.receive() }
        #expect(timedOut?.kind == .wouldBlock)
        #expect(timedOut?.description == "cannot receive: Resource temporarily unavailable")
    }

    @Test func pollReportsWhichSocketIsReadable() throws {
        let context = try Context()
        let a = try testSocket(context, .pair), b = try testSocket(context, .pair)
        let c = try testSocket(context, .pair), d = try testSocket(context, .pair)
        try a.bind("inproc://p1"); try b.connect("inproc://p1")
        try c.bind("inproc://p2"); try d.connect("inproc://p2")
        try d.send(bytes("x"))
        #expect(try Socket.pollReadable([b, c], timeoutMilliseconds: 2_000) == [1])
        #expect(try c.receive(timeoutMilliseconds: 0) == [bytes("x")])
        #expect(try Socket.poll([(a, .writable), (b, .readable)], timeoutMilliseconds: 0) == [.writable, []])
    }

    @Test func routerMandatoryRejectsUnknownPeer() throws {
        let context = try Context()
        let (router, endpoint) = try boundRouter(context)
        try router.set(.routerMandatory, true)
        let known = try testSocket(context, .dealer, routingID: "known")
        try known.connect(endpoint)
        try known.send(bytes("hi"))
        _ = try router.receive()

        let error = #expect(throws: ZMQError.self) { try router.send(to: bytes("nobody"), [bytes("x")]) }
        #expect(error?.kind == .hostUnreachable)
        #expect(error?.description == "cannot send to peer 6e6f626f6479: Host unreachable")
        // The socket is still fine for known peers.
        try router.send(to: bytes("known"), [bytes("ok")])
        #expect(try known.receive() == [bytes("ok")])
    }

    @Test func oversizedMessageIsDroppedAndOtherPeersStillServed() throws {
        let context = try Context()
        // Connection options are copied when binding, so the limit is set first.
        let router = try testSocket(context, .router)
        try router.set(.maxMessageSize, 1_000)
        #expect(try router.get(.maxMessageSize) == 1_000)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let big = try testSocket(context, .dealer, routingID: "big")
        let small = try testSocket(context, .dealer, routingID: "small")
        try big.connect(endpoint)
        try small.connect(endpoint)

        try big.send([UInt8](repeating: 7, count: 5_000))
        // Give the oversized frame time to reach the router (and get its peer dropped)
        // before the small one, so the order of the checks below is meaningful.
        #expect(try router.receive(timeoutMilliseconds: 300) == nil)
        try small.send(bytes("fits"))
        #expect(try router.receive() == [bytes("small"), bytes("fits")])
        #expect(try router.receive(timeoutMilliseconds: 300) == nil)
    }

    @Test func bindConflictNamesEndpointAndCause() throws {
        let context = try Context()
        let (first, endpoint) = try boundRouter(context)
        defer { first.close() }  // keeps the first binding alive until the end
        let second = try testSocket(context, .router)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.kind == .addressInUse)
        #expect(error?.description == "cannot bind \(endpoint): Address already in use")
        let bad = #expect(throws: ZMQError.self) { try second.connect("nonsense://x") }
        #expect(bad?.description == "cannot connect to nonsense://x: Protocol not supported")
    }

    @Test func unbindAndDisconnectUseResolvedEndpoint() throws {
        let context = try Context()
        let (router, endpoint) = try boundRouter(context)
        try router.unbind(endpoint)
        let dealer = try testSocket(context, .dealer)
        try dealer.connect(endpoint)
        try dealer.disconnect(endpoint)
        // The port is released (libzmq closes the listener on its I/O thread, so shortly after).
        let again = try testSocket(context, .router)
        var attempts = 0
        while (try? again.bind(endpoint)) == nil {
            attempts += 1
            try #require(attempts < 100, "the port was not released within 2 s")
            Thread.sleep(forTimeInterval: 0.02)
        }
        let missing = #expect(throws: ZMQError.self) { try again.unbind("tcp://127.0.0.1:1") }
        #expect(missing?.operation == "unbind")
    }

    @Test func closedSocketsAndContextsFailCleanly() throws {
        let context = try Context()
        let socket = try testSocket(context, .dealer)
        socket.close()
        socket.close()
        let closed = #expect(throws: ZMQError.self) { try socket.send(bytes("x")) }
        #expect(closed?.description == "cannot send: Socket operation on non-socket")
        let empty = #expect(throws: ZMQError.self) { try testSocket(context, .dealer).send([[UInt8]]()) }
        #expect(empty?.description == "cannot send an empty message: Invalid argument")

        context.close()
        let terminated = #expect(throws: ZMQError.self) { try Socket(context, type: .pair) }
        #expect(terminated?.kind == .terminated)
    }

    @Test func shutdownInterruptsBlockingReceive() throws {
        let context = try Context()
        let socket = try testSocket(context, .pair)
        try socket.set(.receiveTimeout, -1)
        try socket.bind("inproc://blocked")
        context.shutdown()
        let error = #expect(throws: ZMQError.self) { try socket.receive() }
        #expect(error?.kind == .terminated)
    }

    @Test func typedOptionsRoundTrip() throws {
        let context = try Context(defaultLingerMilliseconds: 250)
        let socket = try Socket(context, type: .dealer)
        #expect(try socket.get(.linger) == 250)
        try socket.set(.linger, 0)
        #expect(try socket.get(.linger) == 0)
        let ints: [SocketOption<Int>] = [.receiveTimeout, .sendTimeout, .sendHighWaterMark,
                                         .receiveHighWaterMark, .reconnectInterval,
                                         .reconnectIntervalMax, .heartbeatInterval,
                                         .heartbeatTimeout, .handshakeInterval]
        for (i, option) in ints.enumerated() {
            try socket.set(option, 1_000 + i)
            #expect(try socket.get(option) == 1_000 + i, "\(option.name)")
        }
        try socket.set(.heartbeatTTL, 2_000)  // kept in deciseconds by libzmq
        #expect(try socket.get(.heartbeatTTL) == 2_000)
        try socket.set(.immediate, true)
        #expect(try socket.get(.immediate))
        try socket.set(.routingID, [1, 2, 3])
        #expect(try socket.get(.routingID) == [1, 2, 3])
        try socket.set(.zapDomain, "hypergrid")
        #expect(try socket.get(.zapDomain) == "hypergrid")
        let tooBig = #expect(throws: ZMQError.self) { try socket.set(.linger, Int(Int32.max) + 1) }
        #expect(tooBig?.description == "cannot set option linger to 2147483648: Invalid argument")
        let nul = #expect(throws: ZMQError.self) { try socket.set(.zapDomain, "a\u{0}b") }
        #expect(nul?.errno == ZMQError(errno: 22, operation: "").errno)
        #expect(try socket.lastEndpoint == "")
    }
}
