import Foundation

/// One cell of a heatmap: a combination of the two parameters and its value, if any.
struct HeatmapCell {
    var x: ParameterValue
    var y: ParameterValue
    /// Mean validation accuracy; `nil` when the combination has no finished trial.
    var value: Double?
    /// Shown in the cell when there is no value (`not run`, `diverged`).
    var missing: String
    /// Shown on hover.
    var tooltip: String
    /// The run's best point: outlined.
    var isBest: Bool
}

/// Validation accuracy over two parameters, one cell per combination, coloured with viridis.
///
/// A logarithmic parameter with positive values gets a log axis: cells are placed at their
/// value's logarithm and span to the midpoints between neighbours, so that uneven steps
/// (1e-3, 1e-2, 0.25) show as uneven widths. Other parameters get equal cells in order.
struct Heatmap {
    var id: String
    var title: String
    var subtitle: String?
    var xParameter: ReportParameter
    var yParameter: ReportParameter
    var xValues: [ParameterValue]
    var yValues: [ParameterValue]
    var cells: [HeatmapCell]

    static func isLog(_ parameter: ReportParameter, _ values: [ParameterValue]) -> Bool {
        parameter.isLogarithmic && values.count >= 2 && values.allSatisfy { ($0.number ?? 0) > 0 }
    }

    /// Cell edges along one axis as fractions 0…1 of its length: `count + 1` increasing values.
    static func edges(_ parameter: ReportParameter, _ values: [ParameterValue]) -> [Double] {
        guard isLog(parameter, values) else {
            return (0...values.count).map { Double($0) / Double(max(values.count, 1)) }
        }
        let p = values.map { log10($0.number!) }
        var e = [p[0] - (p[1] - p[0]) / 2]
        for i in 1..<p.count { e.append((p[i - 1] + p[i]) / 2) }
        e.append(p[p.count - 1] + (p[p.count - 1] - p[p.count - 2]) / 2)
        let lo = e.first!, hi = e.last!
        return e.map { ($0 - lo) / (hi - lo) }
    }

    func axisTitle(_ parameter: ReportParameter, _ values: [ParameterValue]) -> String {
        parameter.title + (Self.isLog(parameter, values) ? " (log scale)" : "")
    }

    func svg() -> SVGDocument {
        let longestY = yValues.map(\.label.count).max() ?? 4
        let left = max(84, 24 + Double(longestY) * 7.2)
        let top = subtitle == nil ? 52.0 : 72.0
        let plotWidth = min(max(Double(xValues.count) * 120, 320), 680)
        let plotHeight = min(max(Double(yValues.count) * 64, 128), 420)
        let area = PlotArea(left: left, top: top, width: plotWidth, height: plotHeight)
        let colourBarLeft = area.right + 28
        let width = max(colourBarLeft + 110, 560, SVGDocument.headingWidth(title, subtitle: subtitle))
        let height = area.bottom + 60
        var doc = SVGDocument(id: id, title: title, width: width, height: height)
        doc.heading(title, subtitle: subtitle)

        let values = cells.compactMap(\.value).filter(\.isFinite)
        let lo = values.min() ?? 0, hi = values.max() ?? 1
        func t(_ v: Double) -> Double { hi > lo ? (v - lo) / (hi - lo) : 1 }

        let xe = Self.edges(xParameter, xValues), ye = Self.edges(yParameter, yValues)
        let xIndex = Dictionary(xValues.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let yIndex = Dictionary(yValues.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        doc.open("g", [("class", "cells")])
        for cell in cells {
            guard let i = xIndex[cell.x], let j = yIndex[cell.y] else { continue }
            // y grows upwards: the first (smallest) value is at the bottom.
            let x0 = area.left + xe[i] * area.width, x1 = area.left + xe[i + 1] * area.width
            let y0 = area.bottom - ye[j + 1] * area.height, y1 = area.bottom - ye[j] * area.height
            let colour = cell.value.map { Palette.viridis(t($0)) }
            doc.rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0, fill: colour?.hex ?? "#eeeeee", stroke: "#ffffff",
                     className: "cell", data: [("data-x", cell.x.label), ("data-y", cell.y.label),
                                               ("data-value", cell.value.map { "\($0)" } ?? "")],
                     tooltip: cell.tooltip)
            let label = cell.value.map { ReportFormat.percent($0) } ?? cell.missing
            let size = min(13, max(8, (x1 - x0) / Double(max(label.count, 1)) * 1.5))
            doc.text(label, x: (x0 + x1) / 2, y: (y0 + y1) / 2 + 4, size: size, anchor: "middle",
                     weight: cell.isBest ? "bold" : "normal",
                     fill: colour.map { $0.darkText ? "#111111" : "#ffffff" } ?? "#666666", className: "cell-label")
            if cell.isBest {
                doc.rect(x: x0 + 1.5, y: y0 + 1.5, width: x1 - x0 - 3, height: y1 - y0 - 3, fill: "none",
                         stroke: "#d62728", className: "best-cell", data: [("stroke-width", "3")])
            }
        }
        doc.close("g")

        doc.open("g", [("class", "axes")])
        for (i, v) in xValues.enumerated() {
            let cx = area.left + (xe[i] + xe[i + 1]) / 2 * area.width
            doc.line(x1: cx, y1: area.bottom, x2: cx, y2: area.bottom + 4, stroke: "#444")
            doc.text(v.label, x: cx, y: area.bottom + 17, size: 11, anchor: "middle", fill: "#444", className: "tick")
        }
        for (j, v) in yValues.enumerated() {
            let cy = area.bottom - (ye[j] + ye[j + 1]) / 2 * area.height
            doc.line(x1: area.left - 4, y1: cy, x2: area.left, y2: cy, stroke: "#444")
            doc.text(v.label, x: area.left - 7, y: cy + 4, size: 11, anchor: "end", fill: "#444", className: "tick")
        }
        doc.text(axisTitle(xParameter, xValues), x: area.left + area.width / 2, y: area.bottom + 38, size: 13,
                 anchor: "middle", className: "axis-title x-title")
        doc.text(axisTitle(yParameter, yValues), x: 16, y: area.top + area.height / 2, size: 13, anchor: "middle",
                 rotate: -90, className: "axis-title y-title")
        doc.close("g")

        // The colour bar: what the colours mean.
        let gradient = "\(id)-gradient"
        doc.open("defs", [])
        doc.open("linearGradient", [("id", gradient), ("x1", "0"), ("y1", "1"), ("x2", "0"), ("y2", "0")])
        for k in 0..<Palette.viridis.count {
            let f = Double(k) / Double(Palette.viridis.count - 1)
            doc.element("stop", [("offset", ReportFormat.number(f)), ("stop-color", Palette.viridis(f).hex)])
        }
        doc.close("linearGradient")
        doc.close("defs")
        doc.open("g", [("class", "colour-bar")])
        doc.rect(x: colourBarLeft, y: area.top, width: 16, height: area.height, fill: "url(#\(gradient))", stroke: "#888")
        let barTicks = hi > lo ? [lo, (lo + hi) / 2, hi] : [hi]
        for v in barTicks {
            let py = area.bottom - t(v) * area.height
            doc.line(x1: colourBarLeft + 16, y1: py, x2: colourBarLeft + 20, y2: py, stroke: "#444")
            doc.text(ReportFormat.percent(v), x: colourBarLeft + 23, y: py + 4, size: 11, fill: "#444", className: "tick")
        }
        // Above the bar, clear of the x axis's tick labels.
        doc.text("validation accuracy", x: colourBarLeft - 4, y: area.top - 8, size: 11, fill: "#444")
        doc.close("g")
        return doc
    }
}
