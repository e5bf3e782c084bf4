/// One group of bars (e.g. one architecture) with a value per series.
struct BarGroup {
    /// Under the group: first line and an optional second line.
    var label: String
    var sublabel: String?
    /// One value per series, in the chart's series order; `nil` draws no bar.
    var values: [Double?]
    /// Shown on hover over the group's bars.
    var tooltip: String
}

/// Grouped vertical bars of accuracies, starting at zero, with each bar's value on top.
struct BarChart {
    var id: String
    var title: String
    var subtitle: String?
    var xTitle: String
    var yTitle: String
    var series: [String]
    var groups: [BarGroup]
    var plotHeight = 300.0

    func colour(_ series: Int) -> String { Palette.series(series) }

    func svg() -> SVGDocument {
        let top = subtitle == nil ? 40.0 : 56.0
        let longest = groups.map { max($0.label.count, $0.sublabel?.count ?? 0) }.max() ?? 4
        let groupWidth = max(Double(series.count) * 26 + 24, Double(longest) * 7 + 16)
        let plotWidth = max(Double(groups.count) * groupWidth, 520)
        let area = PlotArea(left: 78, top: top, width: plotWidth, height: plotHeight)
        let legendEntries = series.enumerated().map { LegendEntry(label: $1, color: colour($0), box: true) }
        let legendTop = area.bottom + 70
        let width = max(area.right + 24, 620, SVGDocument.headingWidth(title, subtitle: subtitle))
        let height = legendTop + SVGDocument.legendHeight(legendEntries, width: area.width) + 12
        var doc = SVGDocument(id: id, title: title, width: width, height: height)
        doc.heading(title, subtitle: subtitle)

        let values = groups.flatMap { $0.values.compactMap { $0 } }
        let y = Scale.nice(values, kind: .linear, start: area.bottom, end: area.top, includeZero: true, clampTo: 0...1)
        doc.open("g", [("class", "axes")])
        for t in y.ticks {
            doc.line(x1: area.left, y1: y(t), x2: area.right, y2: y(t), stroke: "#e3e3e3", className: "grid")
            doc.text(y.label(t, percent: true), x: area.left - 6, y: y(t) + 4, size: 11, anchor: "end", fill: "#444", className: "tick")
        }
        doc.line(x1: area.left, y1: area.bottom, x2: area.right, y2: area.bottom, stroke: "#444")
        doc.line(x1: area.left, y1: area.top, x2: area.left, y2: area.bottom, stroke: "#444")
        doc.axisTitles(area, xTitle: xTitle, yTitle: yTitle, xOffset: 54)
        doc.close("g")

        let slot = area.width / Double(max(groups.count, 1))
        let barWidth = min(26, (slot - 16) / Double(max(series.count, 1)))
        doc.open("g", [("class", "bars")])
        for (g, group) in groups.enumerated() {
            let centre = area.left + (Double(g) + 0.5) * slot
            let first = centre - barWidth * Double(series.count) / 2
            for (s, value) in group.values.enumerated() {
                guard let value, value.isFinite else { continue }
                let x = first + Double(s) * barWidth
                doc.rect(x: x + 1, y: y(value), width: barWidth - 2, height: area.bottom - y(value), fill: colour(s),
                         className: "bar", data: [("data-series", series[s]), ("data-group", group.label + (group.sublabel.map { " " + $0 } ?? ""))],
                         tooltip: "\(group.tooltip)\n\(series[s]): \(ReportFormat.percent(value))")
                doc.text(formatValue(value), x: x + barWidth / 2, y: y(value) - 4, size: 9, anchor: "middle", fill: "#333",
                         className: "bar-value")
            }
            doc.text(group.label, x: centre, y: area.bottom + 16, size: 11, anchor: "middle", className: "tick group-label")
            if let sub = group.sublabel {
                doc.text(sub, x: centre, y: area.bottom + 30, size: 11, anchor: "middle", fill: "#555", className: "tick")
            }
        }
        doc.close("g")
        doc.legend(legendEntries, left: area.left, top: legendTop, width: area.width)
        return doc
    }

    /// `54.8` (percent, without the sign: the axis says it).
    func formatValue(_ v: Double) -> String { String(ReportFormat.percent(v).dropLast(2)) }
}
