/// One line of a line chart, in data coordinates.
struct LineSeries {
    var points: [(x: Double, y: Double)]
    var color: String
    var dash: String? = nil
    var width = 2.0
    var opacity = 1.0
    /// Classes of the polyline, e.g. `series smoothed-loss`; tests and styles find series by them.
    var className: String
    /// The trial the series belongs to (`data-trial`).
    var trial: String?
    /// Shown on hover.
    var tooltip: String?
    /// Draws a dot at every point (for short per-epoch series).
    var markers = false
}

/// A line chart with labelled axes, gridlines and a legend under the plot.
struct LineChart {
    var id: String
    var title: String
    var subtitle: String?
    var xTitle: String
    var yTitle: String
    var yKind: Scale.Kind = .linear
    var yPercent = false
    /// Keeps y within these bounds after rounding outwards (accuracies stay within 0…1).
    var yBounds: ClosedRange<Double>?
    var series: [LineSeries]
    var legend: [LegendEntry]
    var width = 900.0
    var plotHeight = 330.0

    func svg() -> SVGDocument {
        let top = subtitle == nil ? 40.0 : 56.0
        let area = PlotArea(left: 78, top: top, width: width - 78 - 24, height: plotHeight)
        let legendTop = area.bottom + 52
        let height = legendTop + SVGDocument.legendHeight(legend, width: area.width) + 12
        var doc = SVGDocument(id: id, title: title, width: width, height: height)
        doc.heading(title, subtitle: subtitle)

        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.map(\.y) }
        let x = Scale.nice(xs, kind: .linear, start: area.left, end: area.right, includeZero: true)
        let y = Scale.nice(ys, kind: yKind, start: area.bottom, end: area.top, clampTo: yBounds)
        doc.axes(area, x: x, y: y, xTitle: xTitle, yTitle: yTitle, yPercent: yPercent)

        // Lines may leave the plot (a log axis, a clamped one): clip them to it.
        let clip = "\(id)-clip"
        doc.open("clipPath", [("id", clip)])
        doc.rect(x: area.left, y: area.top, width: area.width, height: area.height, fill: "#fff")
        doc.close("clipPath")
        doc.open("g", [("class", "series-group"), ("clip-path", "url(#\(clip))")])
        for s in series {
            let pixels = s.points.filter { $0.x.isFinite && $0.y.isFinite && (yKind == .linear || $0.y > 0) }
                .map { (x($0.x), y($0.y)) }
            guard !pixels.isEmpty else { continue }
            let data = s.trial.map { [("data-trial", $0)] } ?? []
            if pixels.count > 1 {
                doc.polyline(pixels, stroke: s.color, width: s.width, dash: s.dash, opacity: s.opacity,
                             className: s.className, data: data, tooltip: s.tooltip)
            }
            if s.markers || pixels.count == 1 {
                for (px, py) in pixels {
                    doc.element("circle", [("class", "marker"), ("cx", ReportFormat.coordinate(px)),
                                           ("cy", ReportFormat.coordinate(py)), ("r", "3"), ("fill", s.color)])
                }
            }
        }
        doc.close("g")
        doc.legend(legend, left: area.left, top: legendTop, width: area.width)
        return doc
    }
}

/// Smoothing and thinning of long per-iteration series.
enum Curves {
    /// A centred moving average over `window` points (shrinking at the ends), which keeps
    /// a curve's position in x unlike a trailing average. Non-finite values are skipped.
    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        guard window > 1, values.count > 2 else { return values }
        let half = window / 2
        // Prefix sums over finite values, so each point costs O(1).
        var sums = [0.0], counts = [0]
        for v in values {
            sums.append(sums.last! + (v.isFinite ? v : 0))
            counts.append(counts.last! + (v.isFinite ? 1 : 0))
        }
        return values.indices.map { i in
            let lo = max(0, i - half), hi = min(values.count, i + half + 1)
            let n = counts[hi] - counts[lo]
            return n > 0 ? (sums[hi] - sums[lo]) / Double(n) : .nan
        }
    }

    /// Loss curves are smoothed over this share of their points.
    static let smoothingPercent = 4

    /// The (odd) window the loss curves are smoothed with: ``smoothingPercent`` of the
    /// points, at least 1.
    static func smoothingWindow(count: Int) -> Int { max(1, count * smoothingPercent / 100) | 1 }

    /// At most `limit` points, evenly spaced, always keeping the last.
    static func thin<T>(_ points: [T], limit: Int = 800) -> [T] {
        guard points.count > limit, limit > 1 else { return points }
        let step = Double(points.count - 1) / Double(limit - 1)
        return (0..<limit).map { points[Int((Double($0) * step).rounded())] }
    }
}
