import Foundation

/// Reading one CSV cell: missing-value markers and decimal numbers.
enum CellParsing {
    /// Whether the cell (spaces around it ignored) is a missing value: empty, `NA`, `NaN`,
    /// `null` or `?`, in any letter case.
    @inline(__always)
    static func isMissing(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = 0, e = cell.count
        while s < e && (cell[s] == 0x20 || cell[s] == 0x09) { s += 1 }
        while e > s && (cell[e - 1] == 0x20 || cell[e - 1] == 0x09) { e -= 1 }
        let n = e - s
        if n == 0 { return true }
        if n > 4 { return false }
        func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
        switch n {
        case 1: return cell[s] == UInt8(ascii: "?")
        case 2: return lower(cell[s]) == UInt8(ascii: "n") && lower(cell[s + 1]) == UInt8(ascii: "a")
        case 3: return lower(cell[s]) == UInt8(ascii: "n") && lower(cell[s + 1]) == UInt8(ascii: "a")
            && lower(cell[s + 2]) == UInt8(ascii: "n")
        default: return lower(cell[s]) == UInt8(ascii: "n") && lower(cell[s + 1]) == UInt8(ascii: "u")
            && lower(cell[s + 2]) == UInt8(ascii: "l") && lower(cell[s + 3]) == UInt8(ascii: "l")
        }
    }

    /// Exact powers of ten as doubles (every one up to 1e22 is exact in binary64).
    private static let powers: [Double] = (0...22).map { Double("1e\($0)")! }

    /// The cell as a finite number, or `nil` when it is not one (spaces around it ignored).
    ///
    /// Decimal notation with an optional sign, fraction and exponent. The common case — at
    /// most 19 significant digits and a decimal exponent within ±22 — is Clinger's fast path:
    /// the digits as an integer, exactly converted, times or divided by an exact power of ten,
    /// one correctly rounded operation. Anything else goes to `strtod`. The double is then
    /// rounded to float32 (a double rounding that can differ from a direct float32 rounding
    /// by one unit in the last place, in rare ties; pandas' default parser is not correctly
    /// rounded either).
    @inline(__always)
    static func number(_ cell: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0, e = cell.count
        while i < e && cell[i] == 0x20 { i += 1 }
        while e > i && cell[e - 1] == 0x20 { e -= 1 }
        guard i < e else { return nil }
        let start = i
        var negative = false
        if cell[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if cell[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, significant = 0, exponent = 0
        var dropped = false
        while i < e, case let d = cell[i] &- 0x30, d < 10 {
            if significant < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significant += 1 }
            } else { exponent += 1; dropped = dropped || d != 0 }
            digits += 1; i += 1
        }
        if i < e && cell[i] == UInt8(ascii: ".") {
            i += 1
            while i < e, case let d = cell[i] &- 0x30, d < 10 {
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else { dropped = dropped || d != 0 }
                digits += 1; i += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < e && (cell[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < e && cell[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < e && cell[i] == UInt8(ascii: "+") { i += 1 }
            var value = 0, expDigits = 0
            while i < e, case let d = cell[i] &- 0x30, d < 10 {
                if value < 100_000 { value = value * 10 + Int(d) }
                expDigits += 1; i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -value : value
        }
        guard i == e else { return nil }
        if !dropped && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            let m = Double(mantissa)
            let v = exponent >= 0 ? m * powers[exponent] : m / powers[-exponent]
            return negative ? -v : v
        }
        return slowNumber(UnsafeBufferPointer(rebasing: cell[start..<e]))
    }

    /// `strtod` on a NUL-terminated copy, for the cases the fast path does not cover.
    private static func slowNumber(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var copy = [CChar](repeating: 0, count: text.count + 1)
        for k in 0..<text.count { copy[k] = CChar(bitPattern: text[k]) }
        return copy.withUnsafeBufferPointer { p -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let v = strtod(p.baseAddress!, &endPointer)
            guard let endPointer, endPointer - UnsafeMutablePointer(mutating: p.baseAddress!) == text.count,
                  v.isFinite else { return nil }
            return v
        }
    }
}
