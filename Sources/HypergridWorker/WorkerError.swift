import Foundation
import ZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a worker stopped other than by a `shutdown` or a stop request. Each `description`
/// is one sentence for the user; ``exitCode`` is what the command exits with.
public enum WorkerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--connect` is not an endpoint a worker can connect to.
    case invalidEndpoint(String, why: String)
    /// The coordinator's host name does not resolve.
    case unresolvableHost(endpoint: String, host: String, message: String)
    /// The coordinator refused this worker (e.g. other numerics).
    case refused(address: String, reason: String)
    /// The coordinator speaks another protocol version.
    case versionMismatch(address: String, coordinator: UInt16, worker: UInt16, refusal: String?)
    /// Nothing was heard from the coordinator for `seconds` while idle; `curve` tells
    /// whether the worker used CURVE keys (which a wrong key silences).
    case unreachable(address: String, seconds: Double, everHeard: Bool, curve: Bool = false)
    /// A file or socket operation failed (the text is the whole sentence).
    case io(String)
    /// The coordinator quarantined this worker (its trials kept failing, a result of its
    /// was not believed, or its result digest was outvoted by two other workers'): it gets
    /// no more work in this run.
    case quarantined(address: String, reason: String)
    /// The training thread did not let go of a trial the coordinator took back: it hangs,
    /// and only a new process can train again.
    case trainingWedged(trial: String, seconds: Double)

    public var description: String {
        switch self {
        case let .invalidEndpoint(endpoint, why):
            return "--connect '\(endpoint)' is not a coordinator address: \(why); use tcp://HOST:PORT, e.g. tcp://10.0.0.5:5555."
        case let .unresolvableHost(endpoint, host, message):
            return "Cannot resolve the coordinator host '\(host)' of \(endpoint): \(message)."
        case let .refused(address, reason):
            return "The coordinator at \(address) refused this worker: \(reason)"
                + (reason.hasSuffix(".") ? "" : ".")
        case let .versionMismatch(address, coordinator, worker, refusal):
            let said = refusal.map { "; it said: \($0)" } ?? ""
            return "The coordinator at \(address) speaks protocol \(coordinator), this worker speaks \(worker)\(said)."
        case let .unreachable(address, seconds, everHeard, curve):
            let time = Int(seconds.rounded())
            if everHeard { return "The coordinator at \(address) has been silent for \(time) s; giving up." }
            return curve
                ? "No coordinator answered at \(address) in \(time) s; check --coordinator-key and that this worker's public key is in the coordinator's --authorized-keys."
                : "No coordinator answered at \(address) in \(time) s; is it running and reachable from here?"
        case let .io(sentence):
            return sentence
        case let .trainingWedged(trial, seconds):
            return "The training thread did not let go of trial \(trial) within \(Int(seconds.rounded())) s of the coordinator taking it back (it is wedged); restart this worker."
        case let .quarantined(address, reason):
            return "The coordinator at \(address) quarantined this worker for the rest of its run: \(reason)"
                + (reason.hasSuffix(".") ? "" : ".")
        }
    }

    /// 3 refused, 4 protocol mismatch, 5 unreachable, 6 quarantined, 7 training thread
    /// wedged, 2 a bad or unresolvable address, 1 anything else. (The command checks `--connect` while parsing, which exits 64.)
    public var exitCode: Int32 {
        switch self {
        case .refused: return 3
        case .versionMismatch: return 4
        case .unreachable: return 5
        case .quarantined: return 6
        case .trainingWedged: return 7
        case .invalidEndpoint, .unresolvableHost: return 2
        case .io: return 1
        }
    }
}

/// Checks of the `--connect` address that libzmq does not make: it accepts port 99999, an
/// empty host and unresolvable names, and then retries in the background forever.
public enum WorkerEndpoint {
    /// Accepts `tcp://HOST:PORT` (HOST a name, an IPv4 address or a bracketed IPv6 address,
    /// PORT 1–65535) and `ipc://PATH`; throws ``WorkerError/invalidEndpoint(_:why:)``.
    public static func validate(_ endpoint: String) throws {
        if endpoint.hasPrefix("ipc://") {
            guard endpoint.count > "ipc://".count else { throw WorkerError.invalidEndpoint(endpoint, why: "the ipc path is empty") }
            return
        }
        guard let (host, port) = Endpoint.tcpHostAndPort(endpoint) else {
            throw WorkerError.invalidEndpoint(endpoint, why: endpoint.contains("://") && !endpoint.hasPrefix("tcp://")
                ? "only tcp:// and ipc:// are supported" : "it is not of the form tcp://HOST:PORT")
        }
        guard !host.isEmpty else { throw WorkerError.invalidEndpoint(endpoint, why: "the host is empty") }
        guard host != "*" else { throw WorkerError.invalidEndpoint(endpoint, why: "'*' is for binding, not connecting") }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw WorkerError.invalidEndpoint(endpoint, why: "the port '\(port)' is not a number from 1 to 65535")
        }
    }

    /// Resolves a `tcp://` endpoint's host once, so that a typo fails at start instead of
    /// being retried in the background forever; throws ``WorkerError/unresolvableHost(endpoint:host:message:)``.
    public static func resolve(_ endpoint: String) throws {
        guard let (host, _) = Endpoint.tcpHostAndPort(endpoint) else { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        guard rc == 0 else {
            throw WorkerError.unresolvableHost(endpoint: endpoint, host: host, message: String(cString: gai_strerror(rc)))
        }
    }
}
