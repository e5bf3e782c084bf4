import Foundation
import HypergridResults

/// Maps data values to pixels along one axis, linearly or logarithmically, and picks ticks.
struct Scale {
    enum Kind { case linear, log }

    var kind: Kind
    /// Data values at the two ends (for `log`, both positive).
    var lower: Double
    var upper: Double
    /// Pixels the two ends map to (`start` may be larger, for a y axis).
    var start: Double
    var end: Double

    /// A scale whose ends are rounded outwards to ticks: nice numbers for a linear one,
    /// powers of ten for a log one. Degenerate or empty data gets a unit-wide domain.
    static func nice(_ values: [Double], kind: Kind, start: Double, end: Double,
                     includeZero: Bool = false, clampTo bounds: ClosedRange<Double>? = nil) -> Scale {
        var finite = values.filter(\.isFinite)
        if kind == .log { finite = finite.filter { $0 > 0 } }
        if includeZero && kind == .linear { finite.append(0) }
        guard var lo = finite.min(), var hi = finite.max() else {
            return Scale(kind: kind, lower: kind == .log ? 1 : 0, upper: kind == .log ? 10 : 1, start: start, end: end)
        }
        switch kind {
        case .log:
            lo = pow(10, floor(log10(lo)))
            hi = pow(10, ceil(log10(hi)))
            if hi <= lo { hi = lo * 10 }
        case .linear:
            if hi - lo < 1e-12 { lo -= max(abs(lo) * 0.1, 0.5); hi += max(abs(hi) * 0.1, 0.5) }
            let step = niceStep((hi - lo) / 5)
            lo = floor(lo / step) * step
            hi = ceil(hi / step) * step
            if let bounds { lo = max(lo, bounds.lowerBound); hi = min(hi, bounds.upperBound) }
        }
        return Scale(kind: kind, lower: lo, upper: hi, start: start, end: end)
    }

    /// 1, 2 or 5 times a power of ten, close to `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        let f = rough / power
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power
    }

    /// The pixel position of `value`.
    func callAsFunction(_ value: Double) -> Double {
        let t: Double
        switch kind {
        case .linear: t = (value - lower) / (upper - lower)
        case .log: t = (log10(max(value, .leastNormalMagnitude)) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return start + t * (end - start)
    }

    /// Tick values: about five nice numbers, or every power of ten.
    var ticks: [Double] {
        switch kind {
        case .log:
            let a = Int(log10(lower).rounded()), b = Int(log10(upper).rounded())
            return (a...max(a, b)).map { pow(10, Double($0)) }
        case .linear:
            let step = Self.niceStep((upper - lower) / 5)
            // Multiples of the step, not a running sum, so that rounding errors do not add up.
            let first = Int(ceil(lower / step - 1e-9)), last = Int(floor(upper / step + 1e-9))
            return first <= last ? (first...last).map { Double($0) * step } : []
        }
    }

    /// A tick's label: as many decimals as the step needs, or a percentage.
    func label(_ value: Double, percent: Bool) -> String {
        if kind == .log { return ReportFormat.number(value) }
        let step = Self.niceStep((upper - lower) / 5) * (percent ? 100 : 1)
        let digits = max(0, Int(-floor(log10(step) + 1e-9)))
        return formatFixed(percent ? value * 100 : value, digits: digits) + (percent ? " %" : "")
    }
}

/// The plot area of a chart in pixels.
struct PlotArea {
    var left: Double
    var top: Double
    var width: Double
    var height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }
}

extension SVGDocument {
    /// Gridlines, ticks and tick labels for both axes, the frame, and the axis titles.
    mutating func axes(_ area: PlotArea, x: Scale, y: Scale, xTitle: String, yTitle: String,
                       xPercent: Bool = false, yPercent: Bool = false) {
        open("g", [("class", "axes")])
        for t in y.ticks {
            let py = y(t)
            line(x1: area.left, y1: py, x2: area.right, y2: py, stroke: "#e3e3e3", className: "grid")
            text(y.label(t, percent: yPercent), x: area.left - 6, y: py + 4, size: 11, anchor: "end", fill: "#444", className: "tick")
        }
        for t in x.ticks {
            let px = x(t)
            line(x1: px, y1: area.top, x2: px, y2: area.bottom, stroke: "#eeeeee", className: "grid")
            line(x1: px, y1: area.bottom, x2: px, y2: area.bottom + 4, stroke: "#444")
            text(x.label(t, percent: xPercent), x: px, y: area.bottom + 17, size: 11, anchor: "middle", fill: "#444", className: "tick")
        }
        rect(x: area.left, y: area.top, width: area.width, height: area.height, fill: "none", stroke: "#888", className: "frame")
        axisTitles(area, xTitle: xTitle, yTitle: yTitle)
        close("g")
    }

    /// The axis titles: centred under the x axis and rotated left of the y axis.
    mutating func axisTitles(_ area: PlotArea, xTitle: String, yTitle: String, xOffset: Double = 38) {
        text(xTitle, x: area.left + area.width / 2, y: area.bottom + xOffset, size: 13, anchor: "middle", className: "axis-title x-title")
        text(yTitle, x: area.left - 52, y: area.top + area.height / 2, size: 13, anchor: "middle", rotate: -90,
             className: "axis-title y-title")
    }

    /// Roughly how wide `text` is at `size` (DejaVu Sans averages about 0.6 em a character).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

    /// The width a chart needs to show its title and subtitle in full.
    static func headingWidth(_ title: String, subtitle: String?) -> Double {
        max(textWidth(title, size: 16) * 1.05, textWidth(subtitle ?? "", size: 12)) + 32
    }

    /// The chart's title above the plot.
    mutating func heading(_ title: String, subtitle: String?) {
        text(title, x: 16, y: 24, size: 16, weight: "bold", className: "chart-title")
        if let subtitle { text(subtitle, x: 16, y: 42, size: 12, fill: "#555", className: "chart-subtitle") }
    }
}

/// One legend line: a swatch (line or box) and its label.
struct LegendEntry {
    var label: String
    var color: String
    var dash: String?
    /// A filled box instead of a line sample (for bars).
    var box = false
}

extension SVGDocument {
    /// How many columns of `entries` fit in `width`, estimating text width from its length.
    static func legendColumns(_ entries: [LegendEntry], width: Double) -> Int {
        let longest = entries.map { Double($0.label.count) * 6.6 + 34 }.max() ?? 100
        return max(1, min(entries.count, Int(width / (longest + 16))))
    }

    /// The height ``legend(_:left:top:width:)`` takes for these entries.
    static func legendHeight(_ entries: [LegendEntry], width: Double) -> Double {
        let columns = legendColumns(entries, width: width)
        return Double((entries.count + columns - 1) / columns) * 18
    }

    /// Legend entries in rows under the plot, starting at `top`, in as many columns as fit.
    mutating func legend(_ entries: [LegendEntry], left: Double, top: Double, width: Double) {
        guard !entries.isEmpty else { return }
        let columns = Self.legendColumns(entries, width: width)
        let columnWidth = width / Double(columns)
        open("g", [("class", "legend")])
        for (i, entry) in entries.enumerated() {
            let x = left + Double(i % columns) * columnWidth
            let y = top + Double(i / columns) * 18 + 10
            if entry.box {
                rect(x: x, y: y - 9, width: 22, height: 12, fill: entry.color, className: "swatch")
            } else {
                line(x1: x, y1: y - 3, x2: x + 22, y2: y - 3, stroke: entry.color, width: 2.5, dash: entry.dash, className: "swatch")
            }
            text(entry.label, x: x + 28, y: y + 1, size: 12, className: "legend-label")
        }
        close("g")
    }
}
