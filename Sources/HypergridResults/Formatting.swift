// Number and duration text shared by the leaderboard table, the coordinator's status line and
// the report: locale-independent, so that the same run prints the same text everywhere.

/// `3h02m`, `4m10s`, `12s`.
package func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h" + pad2((s % 3600) / 60) + "m" }
    if s >= 60 { return "\(s / 60)m" + pad2(s % 60) + "s" }
    return "\(s)s"
}

private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// Fixed-point text without Foundation's locale-dependent `String(format:)`.
package func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled.truncatingRemainder(dividingBy: scale)))
    while fraction.count < digits { fraction = "0" + fraction }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}
