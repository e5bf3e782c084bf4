import HypergridResults

/// Text for charts and pages: numbers, percentages, escaping.
enum ReportFormat {
    /// Swift's shortest round-trip form without a trailing `.0`: `0.001`, `1e-05`, `200`.
    static func number(_ x: Double) -> String {
        if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return "\(Int(x))" }
        return "\(x)"
    }

    /// `54.8 %` for 0.548.
    static func percent(_ fraction: Double?, digits: Int = 1) -> String {
        guard let fraction, fraction.isFinite else { return "–" }
        return formatFixed(fraction * 100, digits: digits) + " %"
    }

    /// A coordinate with one decimal: enough for a screen, short in the file.
    static func coordinate(_ x: Double) -> String { formatFixed(x, digits: 1) }

    /// Escapes text for XML and HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // XML 1.0 forbids most control characters even as references.
                if c.value < 0x20 && c != "\n" && c != "\t" && c != "\r" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}

/// A standalone SVG document built as text.
///
/// Charts are drawn with plain elements (`rect`, `line`, `polyline`, `text`) and
/// presentation attributes, with no scripts, styles from outside or fonts to fetch, so that
/// a file opens the same in a browser, an image viewer or a document.
struct SVGDocument {
    let width: Double
    let height: Double
    /// Names the chart: the root element's `id`, and the prefix of ids inside it.
    let id: String
    let title: String
    private var body: [String] = []

    init(id: String, title: String, width: Double, height: Double) {
        self.id = id
        self.title = title
        self.width = width
        self.height = height
    }

    /// Adds one element; attributes with an empty value are left out, values are escaped.
    /// `text` becomes its content, and `tooltip` a `<title>` child that browsers show on hover.
    mutating func element(_ name: String, _ attributes: [(String, String)], text: String? = nil, tooltip: String? = nil) {
        var line = "<" + name
        for (key, value) in attributes where !value.isEmpty { line += " \(key)=\"\(ReportFormat.escape(value))\"" }
        if text == nil && tooltip == nil { body.append(line + "/>"); return }
        line += ">"
        if let tooltip { line += "<title>" + ReportFormat.escape(tooltip) + "</title>" }
        if let text { line += ReportFormat.escape(text) }
        body.append(line + "</\(name)>")
    }

    /// Opens an element whose children follow; close it with ``close(_:)``.
    mutating func open(_ name: String, _ attributes: [(String, String)]) {
        var line = "<" + name
        for (key, value) in attributes where !value.isEmpty { line += " \(key)=\"\(ReportFormat.escape(value))\"" }
        body.append(line + ">")
    }

    mutating func close(_ name: String) { body.append("</\(name)>") }

    mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                       weight: String = "normal", fill: String = "#222", rotate: Double? = nil, className: String = "") {
        let c = ReportFormat.coordinate
        let transform = rotate.map { "rotate(\(ReportFormat.number($0)) \(c(x)) \(c(y)))" } ?? ""
        element("text", [("class", className), ("x", c(x)), ("y", c(y)), ("font-size", ReportFormat.number(size)),
                         ("text-anchor", anchor == "start" ? "" : anchor), ("font-weight", weight == "normal" ? "" : weight),
                         ("fill", fill), ("transform", transform)],
                text: string)
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil, className: String = "") {
        let c = ReportFormat.coordinate
        element("line", [("class", className), ("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)),
                         ("stroke", stroke), ("stroke-width", ReportFormat.number(width)), ("stroke-dasharray", dash ?? "")])
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String = "",
                       className: String = "", data: [(String, String)] = [], tooltip: String? = nil) {
        let c = ReportFormat.coordinate
        element("rect", [("class", className), ("x", c(x)), ("y", c(y)), ("width", c(max(width, 0))),
                         ("height", c(max(height, 0))), ("fill", fill), ("stroke", stroke)] + data,
                tooltip: tooltip)
    }

    /// A polyline through `points` (already in pixels).
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil,
                           opacity: Double = 1, className: String, data: [(String, String)] = [], tooltip: String? = nil) {
        let c = ReportFormat.coordinate
        let list = points.map { c($0.0) + "," + c($0.1) }.joined(separator: " ")
        element("polyline", [("class", className), ("points", list), ("fill", "none"), ("stroke", stroke),
                             ("stroke-width", ReportFormat.number(width)), ("stroke-linejoin", "round"),
                             ("stroke-dasharray", dash ?? ""), ("stroke-opacity", opacity < 1 ? ReportFormat.number(opacity) : "")] + data,
                tooltip: tooltip)
    }

    /// The line a standalone `.svg` file starts with.
    static let xmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

    /// The document; `standalone` adds the XML declaration a `.svg` file carries.
    func render(standalone: Bool = true) -> String {
        let w = ReportFormat.number(width.rounded()), h = ReportFormat.number(height.rounded())
        var out = standalone ? Self.xmlDeclaration : ""
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(ReportFormat.escape(id))\" class=\"chart\""
            + " width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
            + " role=\"img\" aria-label=\"\(ReportFormat.escape(title))\">\n"
        out += "<title>\(ReportFormat.escape(title))</title>\n"
        out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        for line in body { out += line + "\n" }
        out += "</svg>\n"
        return out
    }
}

/// Colours: a categorical palette for series and the viridis map for values.
enum Palette {
    /// Tableau 10: distinguishable, and readable on white.
    static let categorical = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    static func series(_ index: Int) -> String { categorical[index % categorical.count] }

    /// A dash pattern that tells apart series sharing a colour once the palette wraps.
    static func dash(_ index: Int) -> String? {
        switch (index / categorical.count) % 3 {
        case 0: nil
        case 1: "8 3"
        default: "2 3"
        }
    }

    /// Matplotlib's viridis at 0, 0.1, …, 1: perceptually uniform and readable in grey.
    static let viridis: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x24, 0x75), (0x41, 0x44, 0x87), (0x35, 0x5f, 0x8d), (0x2a, 0x78, 0x8e),
        (0x21, 0x91, 0x8c), (0x22, 0xa8, 0x84), (0x44, 0xbf, 0x70), (0x7a, 0xd1, 0x51), (0xbd, 0xdf, 0x26),
        (0xfd, 0xe7, 0x25),
    ]

    /// The viridis colour at `t` in [0, 1], and whether dark text reads on it.
    static func viridis(_ t: Double) -> (hex: String, darkText: Bool) {
        let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
        let i = min(Int(u), viridis.count - 2)
        let f = u - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        let r = a.0 + (b.0 - a.0) * f, g = a.1 + (b.1 - a.1) * f, bl = a.2 + (b.2 - a.2) * f
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * bl
        return (hex(r, g, bl), luminance > 140)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789abcdef")
        func byte(_ v: Double) -> String {
            let n = Int(min(max(v.rounded(), 0), 255))
            return String([digits[n / 16], digits[n % 16]])
        }
        return "#" + byte(r) + byte(g) + byte(b)
    }
}
