extension Socket {
    /// A connected inproc PAIR on `endpoint` (unique in `context`), for another thread to
    /// wake one that waits in ``pollReadable(_:timeoutMilliseconds:)``: `receiver` joins that
    /// poll, and `sender` sends an empty frame. A condition variable or a pipe could not
    /// join a ZeroMQ poll without a second wait mechanism. Both ends linger 0: nothing on
    /// them outlives a close. Each end stays on one thread, or behind one lock.
    public static func wakeUpPair(_ context: Context, endpoint: String) throws -> (receiver: Socket, sender: Socket) {
        let receiver = try Socket(context, type: .pair)
        let sender = try Socket(context, type: .pair)
        try receiver.set(.linger, 0)
        try sender.set(.linger, 0)
        try receiver.bind(endpoint)
        try sender.connect(endpoint)
        return (receiver, sender)
    }
}
