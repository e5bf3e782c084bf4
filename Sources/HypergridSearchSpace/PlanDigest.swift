import Crypto

/// A fingerprint of a plan: SHA-256 over its sorted trial ids, as 64 hex digits.
///
/// Trial ids already hash each trial's configuration, dataset and numerics, so the
/// digest changes exactly when the set of trials does, whatever order the grid lists them in.
public enum PlanDigest {
    /// The digest of `plan`; repeated ids count once.
    public static func of(_ plan: [PlannedTrial]) -> String {
        var hasher = SHA256()
        for id in Set(plan.map(\.id)).sorted() { hasher.update(data: Array((id.hex + "\n").utf8)) }
        let hex: [Character] = Array("0123456789abcdef")
        return String(hasher.finalize().flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0f)]] })
    }
}
