import HypergridResults
import HypergridSearchSpace

/// What to draw.
public struct ReportOptions: Sendable {
    /// Learning curves are drawn for this many of the best points.
    public var top: Int
    /// The heatmap's parameters (x, then y); `nil`: learning rate × reg when both are swept,
    /// otherwise the first swept parameters.
    public var heatmap: (x: ReportParameter, y: ReportParameter)?
    /// The run is still going: the page says so and reloads itself every ``reloadSeconds``.
    public var inProgress: Bool
    public var reloadSeconds: Int

    public init(top: Int = 5, heatmap: (x: ReportParameter, y: ReportParameter)? = nil,
                inProgress: Bool = false, reloadSeconds: Int = 10) {
        self.top = top
        self.heatmap = heatmap
        self.inProgress = inProgress
        self.reloadSeconds = reloadSeconds
    }
}

/// One chart of the report: its SVG and where it goes.
public struct ReportChart: Sendable {
    /// The SVG root's `id`, e.g. `chart-loss`.
    public var id: String
    /// File name beside `report.html`, e.g. `report-loss.svg`.
    public var fileName: String
    public var caption: String
    /// The complete standalone document.
    public var svg: String
    /// The same drawing without the XML declaration, to inline in HTML.
    public var inlineSVG: String
}

/// Builds each chart of a run's report from its results.
struct ReportCharts {
    let results: RunResults
    let options: ReportOptions
    /// Parameters that take more than one value in this run; trial labels show only these.
    let swept: [ReportParameter]

    init(results: RunResults, options: ReportOptions) {
        self.results = results
        self.options = options
        swept = ReportParameter.swept(in: results.points.map(\.config))
    }

    /// The best points that have a result, at most ``ReportOptions/top``.
    var topPoints: [RankedPoint] {
        Array(results.points.filter { $0.representative != nil }.prefix(max(options.top, 1)))
    }

    /// `the top 5`, or `the best point` when only one is drawn.
    var topName: String { topPoints.count == 1 ? "the best point" : "the top \(topPoints.count)" }

    /// `256 · lr 0.1 · reg 0.001` — the swept parameters of a point, or its architecture.
    func label(_ config: TrialConfig) -> String {
        let shown = swept.isEmpty ? [.hidden] : swept
        return shown.map { p in
            let v = p.value(of: config).label
            switch p {
            case .hidden: return v
            case .batchNorm: return config.batchNorm ? "BN" : "no BN"
            case .length, .optimizer, .initScheme: return v
            case .learningRate: return "lr " + v
            default: return p.rawValue + " " + v
            }
        }.joined(separator: " · ")
    }

    func chart(_ doc: SVGDocument, fileName: String, caption: String) -> ReportChart {
        // Rendered once: the file is the inline document behind the XML declaration.
        let inline = doc.render(standalone: false)
        return ReportChart(id: doc.id, fileName: fileName, caption: caption,
                           svg: SVGDocument.xmlDeclaration + inline, inlineSVG: inline)
    }

    var all: [ReportChart] { [loss, accuracy, heatmap, architectures, architectureCurves] }

    // MARK: learning curves

    var loss: ReportChart {
        var series: [LineSeries] = []
        var legend: [LegendEntry] = []
        var smoothed = false
        var positives: [Double] = []
        for (i, point) in topPoints.enumerated() {
            let r = point.representative!
            let raw = r.history.loss.map(Double.init)
            // Each trial is smoothed over the same fraction of its length, so that a short
            // and a long trial look equally smooth.
            let window = Curves.smoothingWindow(count: raw.count)
            smoothed = smoothed || window > 1
            let smooth = Curves.movingAverage(raw, window: window)
            positives += smooth.filter { $0.isFinite && $0 > 0 }
            let step = Double(r.history.lossEvery)
            let colour = Palette.series(i)
            if i == 0 && window > 1 {
                // The best trial's unsmoothed loss, faint behind the curves (the seed's Figure 1).
                series.append(LineSeries(points: Curves.thin(raw.enumerated().map { (Double($0) * step, $1) }),
                                         color: colour, width: 1, opacity: 0.25, className: "raw-loss", trial: r.trial.hex))
            }
            series.append(LineSeries(points: Curves.thin(smooth.enumerated().map { (Double($0) * step, $1) }),
                                     color: colour, dash: Palette.dash(i), className: "series smoothed-loss",
                                     trial: r.trial.hex, tooltip: "#\(point.row.rank) \(label(point.config))"))
            legend.append(LegendEntry(label: "#\(point.row.rank) \(label(point.config)) — val \(ReportFormat.percent(point.row.validationAccuracy))",
                                      color: colour, dash: Palette.dash(i)))
        }
        // Diverging losses span decades; a log axis keeps the others readable.
        let spread = (positives.max() ?? 1) / (positives.min() ?? 1)
        let chart = LineChart(id: "chart-loss", title: "Training loss of \(topName)",
                              subtitle: smoothed
                                  ? "centred moving average over \(Curves.smoothingPercent) % of each trial's recorded points; the best trial's raw loss is drawn faintly"
                                  : "as recorded (too few points to smooth)",
                              xTitle: "iteration", yTitle: "training loss" + (spread > 30 ? " (log scale)" : ""),
                              yKind: spread > 30 ? .log : .linear, series: series, legend: legend)
        return self.chart(chart.svg(), fileName: "report-loss.svg",
                          caption: "Training loss per iteration (data loss plus L2 term), smoothed, for the best points.")
    }

    var accuracy: ReportChart {
        var series: [LineSeries] = []
        var legend: [LegendEntry] = []
        for (i, point) in topPoints.enumerated() {
            let r = point.representative!
            let colour = Palette.series(i)
            let val = r.history.validationAccuracy.enumerated().map { (Double($0 + 1), $1) }
            let train = r.history.trainAccuracy.enumerated().map { (Double($0 + 1), $1) }
            let name = "#\(point.row.rank) \(label(point.config))"
            series.append(LineSeries(points: train, color: colour, dash: "6 4", width: 1.5, className: "series train-accuracy",
                                     trial: r.trial.hex, tooltip: name + " — training minibatch", markers: train.count <= 40))
            series.append(LineSeries(points: val, color: colour, className: "series val-accuracy",
                                     trial: r.trial.hex, tooltip: name + " — validation", markers: val.count <= 40))
            // The final accuracy is measured after the last iteration, which need not end an epoch.
            legend.append(LegendEntry(label: name + " — final val \(ReportFormat.percent(point.row.validationAccuracy))", color: colour))
        }
        legend += [LegendEntry(label: "validation (solid)", color: "#555"),
                   LegendEntry(label: "last training minibatch (dashed)", color: "#555", dash: "6 4")]
        let chart = LineChart(id: "chart-accuracy", title: "Accuracy per epoch of \(topName)",
                              subtitle: "validation accuracy at the end of each epoch, and accuracy on that epoch's last training minibatch",
                              xTitle: "epoch", yTitle: "accuracy", yPercent: true, yBounds: 0...1,
                              series: series, legend: legend)
        return self.chart(chart.svg(), fileName: "report-accuracy.svg",
                          caption: "Training and validation accuracy per epoch for the best points (trials shorter than an epoch have no points).")
    }

    // MARK: heatmap

    /// The heatmap's two parameters: the options', else lr × reg when both are swept, else
    /// swept parameters first.
    var heatmapAxes: (x: ReportParameter, y: ReportParameter) {
        if let chosen = options.heatmap { return chosen }
        var order = [ReportParameter.learningRate, .reg].filter(swept.contains)
        order += swept.filter { !order.contains($0) }
        order += [ReportParameter.learningRate, .reg].filter { !order.contains($0) }
        return (order[0], order[1])
    }

    var heatmap: ReportChart {
        let (xp, yp) = heatmapAxes
        let best = results.points[0]
        let reference = best.config
        let xValues = Array(Set(results.points.map { xp.value(of: $0.config) })).sorted()
        let yValues = Array(Set(results.points.map { yp.value(of: $0.config) })).sorted()
        // The points that differ from the best one in x and y only.
        var slice: [ParameterValue: [ParameterValue: RankedPoint]] = [:]
        for point in results.points {
            var config = point.config
            config.lossEvery = reference.lossEvery
            guard xp.copy(from: config, into: yp.copy(from: config, into: reference)) == config else { continue }
            slice[xp.value(of: config), default: [:]][yp.value(of: config)] = point
        }
        var cells: [HeatmapCell] = []
        for x in xValues {
            for y in yValues {
                let point = slice[x]?[y]
                let row = point?.row
                var tooltip = "\(xp.title) \(x.label), \(yp.title) \(y.label): "
                if let row, let v = row.validationAccuracy {
                    tooltip += "validation \(ReportFormat.percent(v, digits: 2))"
                    if row.validationCount > 1 { tooltip += " (mean of \(row.validationCount))" }
                    if let test = row.testAccuracy { tooltip += ", test \(ReportFormat.percent(test, digits: 2))" }
                    tooltip += ", rank \(row.rank)"
                } else {
                    tooltip += row.map { "\($0.status.rawValue), no validation accuracy" } ?? "not run (yet)"
                }
                cells.append(HeatmapCell(x: x, y: y, value: row?.validationAccuracy,
                                         missing: row.map { $0.status.rawValue } ?? "not run",
                                         tooltip: tooltip, isBest: point?.row.rank == best.row.rank))
            }
        }
        let fixed = swept.filter { $0 != xp && $0 != yp }
        var subtitle = "mean validation accuracy"
        if !fixed.isEmpty {
            subtitle += "; other parameters at the best point's: " + fixed.map { "\($0.rawValue) \($0.value(of: reference).label)" }.joined(separator: ", ")
        }
        let unswept = [xp, yp].filter { !swept.contains($0) }
        if !unswept.isEmpty { subtitle += " (\(unswept.map(\.rawValue).joined(separator: " and ")) not swept in this run)" }
        let chart = Heatmap(id: "chart-heatmap", title: "Validation accuracy over \(xp.title) × \(yp.title)",
                            subtitle: subtitle, xParameter: xp, yParameter: yp, xValues: xValues, yValues: yValues, cells: cells)
        return self.chart(chart.svg(), fileName: "report-heatmap.svg",
                          caption: "Validation accuracy over \(xp.rawValue) × \(yp.rawValue), the other parameters at the best point's values; the best point is outlined in red.")
    }

    // MARK: architectures

    /// The best point of each architecture (hidden layers × BatchNorm), shallowest first.
    var bestPerArchitecture: [RankedPoint] {
        var best: [String: RankedPoint] = [:]
        var order: [RankedPoint] = []
        for point in results.points where point.representative != nil {
            let key = "\(point.config.hidden) \(point.config.batchNorm)"
            if best[key] == nil { best[key] = point; order.append(point) }
        }
        return order.sorted { a, b in
            let ka = ReportParameter.hidden.value(of: a.config), kb = ReportParameter.hidden.value(of: b.config)
            return ka != kb ? ka < kb : (!a.config.batchNorm && b.config.batchNorm)
        }
    }

    func architectureName(_ config: TrialConfig) -> (label: String, sublabel: String) {
        let layers = config.hidden.count + 1
        let bnVaries = swept.contains(.batchNorm)
        return (config.hidden.isEmpty ? "linear" : config.hidden.map(String.init).joined(separator: "-"),
                "\(layers) layers" + (bnVaries || config.batchNorm ? (config.batchNorm ? " · BN" : " · no BN") : ""))
    }

    var architectures: ReportChart {
        let points = bestPerArchitecture
        let hasTest = points.contains { $0.row.testAccuracy != nil }
        let series = ["train (whole split, ≤ 10,000 rows)", "validation"] + (hasTest ? ["test"] : [])
        let groups = points.map { p -> BarGroup in
            let name = architectureName(p.config)
            return BarGroup(label: name.label, sublabel: name.sublabel,
                            values: [p.row.trainAccuracy, p.row.validationAccuracy] + (hasTest ? [p.row.testAccuracy] : []),
                            tooltip: "#\(p.row.rank) \(label(p.config))")
        }
        let chart = BarChart(id: "chart-architectures", title: "Final accuracy per architecture",
                             subtitle: "the best point of each architecture (hidden layers × BatchNorm), after training",
                             xTitle: "hidden layer widths, input side first", yTitle: "accuracy",
                             series: series, groups: groups)
        return self.chart(chart.svg(), fileName: "report-architectures.svg",
                          caption: "Train, validation and test accuracy of the best point of each architecture (the seed's Figure 2).")
    }

    var architectureCurves: ReportChart {
        var series: [LineSeries] = []
        var legend: [LegendEntry] = []
        for (i, point) in bestPerArchitecture.enumerated() {
            let r = point.representative!
            let name = architectureName(point.config)
            let values = r.history.validationAccuracy.enumerated().map { (Double($0 + 1), $1) }
            series.append(LineSeries(points: values, color: Palette.series(i), dash: Palette.dash(i),
                                     className: "series architecture-accuracy", trial: r.trial.hex,
                                     tooltip: "\(name.label) (\(name.sublabel))", markers: values.count <= 40))
            legend.append(LegendEntry(label: "\(name.label) (\(name.sublabel)) — val \(ReportFormat.percent(point.row.validationAccuracy))",
                                      color: Palette.series(i), dash: Palette.dash(i)))
        }
        let chart = LineChart(id: "chart-architecture-curves", title: "Validation accuracy per epoch of each architecture",
                              subtitle: "the best point of each architecture", xTitle: "epoch", yTitle: "validation accuracy",
                              yPercent: true, yBounds: 0...1, series: series, legend: legend)
        return self.chart(chart.svg(), fileName: "report-architecture-curves.svg",
                          caption: "Validation accuracy per epoch of the best point of each architecture (the seed's Figure 3).")
    }
}
