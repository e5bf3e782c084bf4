/// Reading ZeroMQ endpoint strings (`tcp://HOST:PORT`, `ipc://PATH`, `inproc://NAME`).
public enum Endpoint {
    /// The host and port text of a `tcp://` endpoint, brackets of an IPv6 host removed;
    /// nil for other transports or when there is no `:PORT`.
    public static func tcpHostAndPort(_ endpoint: String) -> (host: String, port: String)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, String(rest[rest.index(after: colon)...]))
    }

    /// True when only this machine can reach the endpoint: `ipc://`, `inproc://`, or a
    /// `tcp://` host in 127.0.0.0/8, `localhost` or `::1`.
    public static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let (host, _) = tcpHostAndPort(endpoint) else { return false }
        return host.hasPrefix("127.") || host == "localhost" || host == "::1"
    }
}
