import ZeroMQ

/// Sockets for tests: linger 0 (nothing waits at close) and a receive timeout, so that a
/// broken test fails with `.wouldBlock` instead of hanging the suite.
func testSocket(_ context: Context, _ type: SocketType, routingID: String? = nil) throws -> Socket {
    let socket = try Socket(context, type: type)
    try socket.set(.linger, 0)
    try socket.set(.receiveTimeout, 5_000)
    try socket.set(.sendTimeout, 5_000)
    if let routingID { try socket.set(.routingID, Array(routingID.utf8)) }
    return socket
}

/// A ROUTER bound to a free loopback TCP port, and the resolved endpoint.
func boundRouter(_ context: Context) throws -> (Socket, String) {
    let router = try testSocket(context, .router)
    try router.bind("tcp://127.0.0.1:*")
    return (router, try router.lastEndpoint)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func milliseconds(_ duration: Duration) -> Double {
    duration / .milliseconds(1)
}
