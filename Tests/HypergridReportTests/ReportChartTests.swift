import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HypergridResults
import HypergridSearchSpace
import Testing
@testable import HypergridReport

/// A chart's SVG parsed as XML, with XPath helpers that ignore the SVG namespace.
struct ParsedSVG {
    let document: XMLDocument

    init(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        document = try XMLDocument(data: Data(text.utf8), options: [])
        #expect(document.rootElement()?.name == "svg", sourceLocation: sourceLocation)
    }

    /// Elements named `name` whose class list contains `className` (any, when nil).
    func elements(_ name: String, class className: String? = nil) throws -> [XMLElement] {
        var path = "//*[local-name()='\(name)'"
        if let className { path += " and contains(concat(' ', @class, ' '), ' \(className) ')" }
        path += "]"
        return try document.nodes(forXPath: path).compactMap { $0 as? XMLElement }
    }

    func texts(class className: String) throws -> [String] {
        try elements("text", class: className).compactMap(\.stringValue)
    }
}

extension XMLElement {
    /// FoundationXML's `attribute(forName:)` finds nothing in an element of a default
    /// namespace (the SVG one) on Linux, so look through the attributes.
    func attribute(_ name: String) -> String? { attributes?.first { $0.name == name }?.stringValue }
    func number(_ name: String) -> Double? { attribute(name).flatMap(Double.init) }
}

@Suite struct ReportChartTests {
    func render(_ configs: [TrialConfig], options: ReportOptions = ReportOptions(),
                status: (TrialConfig) -> TrialStatus = { _ in .done }) throws -> (RunResults, [String: ReportChart]) {
        let fixture = try RunFixture("charts")
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        try fixture.write(configs, status: status)
        let results = try RunResults.load(runDirectory: fixture.path)
        let report = Report(results: results, options: options)
        return (results, Dictionary(uniqueKeysWithValues: report.charts.map { ($0.id, $0) }))
    }

    @Test func everyChartParsesAsXMLWithLabelledAxes() throws {
        let (_, charts) = try render(RunFixture.seedGrid())
        #expect(Set(charts.keys) == ["chart-loss", "chart-accuracy", "chart-heatmap", "chart-architectures",
                                     "chart-architecture-curves"])
        for chart in charts.values {
            let svg = try ParsedSVG(chart.svg)
            #expect(svg.document.rootElement()?.attribute("id") == chart.id)
            let xTitle = try svg.texts(class: "x-title"), yTitle = try svg.texts(class: "y-title")
            #expect(xTitle.count == 1 && !xTitle[0].isEmpty, "\(chart.id) x axis title")
            #expect(yTitle.count == 1 && !yTitle[0].isEmpty, "\(chart.id) y axis title")
            #expect(try svg.elements("text", class: "tick").count >= 2, "\(chart.id) tick labels")
            #expect(!chart.svg.contains("nan") && !chart.svg.contains("inf"), "\(chart.id) has no non-finite coordinates")
            // The inline copy is the same drawing without the XML declaration.
            #expect(chart.inlineSVG.hasPrefix("<svg ") && chart.svg.hasSuffix(chart.inlineSVG))
        }
    }

    @Test func learningCurvesHaveOnePolylinePerTopTrial() throws {
        let (results, charts) = try render(RunFixture.seedGrid(), options: ReportOptions(top: 4))
        let top = results.points.prefix(4).map { $0.results[0].trial.hex }
        let loss = try ParsedSVG(charts["chart-loss"]!.svg)
        let smoothed = try loss.elements("polyline", class: "smoothed-loss")
        #expect(smoothed.map { $0.attribute("data-trial") } == top)
        // Only the best trial's raw loss is drawn, faintly.
        #expect(try loss.elements("polyline", class: "raw-loss").map { $0.attribute("data-trial") } == [top[0]])
        let accuracy = try ParsedSVG(charts["chart-accuracy"]!.svg)
        #expect(try accuracy.elements("polyline", class: "val-accuracy").map { $0.attribute("data-trial") } == top)
        #expect(try accuracy.elements("polyline", class: "train-accuracy").count == 4)
        // Each validation curve has one point per epoch (the fixture trains 4).
        let points = try accuracy.elements("polyline", class: "val-accuracy")[0].attribute("points")!
        #expect(points.split(separator: " ").count == 4)
        // The legend names each top trial by its swept parameters.
        let legend = try accuracy.texts(class: "legend-label")
        #expect(legend.contains { $0.hasPrefix("#1 256 · lr 0.1 · reg 0.001") }, "\(legend)")
        #expect(try loss.texts(class: "x-title") == ["iteration"])
    }

    @Test func heatmapHasOneCellPerCombinationOnLogAxes() throws {
        let (results, charts) = try render(RunFixture.seedGrid())
        let svg = try ParsedSVG(charts["chart-heatmap"]!.svg)
        let cells = try svg.elements("rect", class: "cell")
        #expect(cells.count == 9)
        #expect(Set(cells.map { "\($0.attribute("data-x")!) \($0.attribute("data-y")!)" }).count == 9)
        #expect(try svg.texts(class: "x-title") == ["learning rate (log scale)"])
        #expect(try svg.texts(class: "y-title") == ["L2 regularisation (reg) (log scale)"])
        // The best point is outlined, and its cell holds its accuracy.
        #expect(try svg.elements("rect", class: "best-cell").count == 1)
        let best = results.points[0]
        let bestCell = cells.first { $0.attribute("data-x") == "0.1" && $0.attribute("data-y") == "0.001" }!
        #expect(bestCell.number("data-value") == best.row.validationAccuracy)
        // Log axis: reg 1e-3, 1e-2, 0.25 are uneven steps, so the 0.25 row is taller.
        let heights = Dictionary(grouping: cells, by: { $0.attribute("data-y")! }).mapValues { $0[0].number("height")! }
        // Cells span to the midpoints in log10: 1.0, 1.2 and 1.4 decades high.
        let h = [heights["0.001"]!, heights["0.01"]!, heights["0.25"]!]
        #expect(abs(h[1] / h[0] - 1.199) < 0.02 && abs(h[2] / h[0] - 1.398) < 0.02, "\(heights)")
        // The other swept parameter is held at the best point's value.
        #expect(svg.document.rootElement()!.xmlString.contains("hidden 256"))
    }

    @Test func heatmapMarksMissingCombinationsAndFallsBackToSweptParameters() throws {
        var configs = RunFixture.seedGrid(hidden: [256])
        configs.removeAll { $0.learningRate == 1e-3 && $0.reg == 0.25 }
        let (_, charts) = try render(configs)
        let svg = try ParsedSVG(charts["chart-heatmap"]!.svg)
        let cells = try svg.elements("rect", class: "cell")
        #expect(cells.count == 9)
        #expect(cells.filter { $0.attribute("data-value") == nil }.count == 1)
        #expect(try svg.texts(class: "cell-label").contains("not run"))

        // The depth study sweeps neither lr nor reg: its heatmap is hidden × BatchNorm.
        let (_, depth) = try render(RunFixture.depthStudy())
        let depthSVG = try ParsedSVG(depth["chart-heatmap"]!.svg)
        #expect(try depthSVG.elements("rect", class: "cell").count == 10)
        #expect(try depthSVG.texts(class: "x-title") == ["hidden layers"])
        #expect(try depthSVG.texts(class: "y-title") == ["BatchNorm"])

        // Asked for explicitly: any two parameters.
        let (_, chosen) = try render(RunFixture.seedGrid(), options: ReportOptions(heatmap: (.hidden, .reg)))
        let chosenSVG = try ParsedSVG(chosen["chart-heatmap"]!.svg)
        #expect(try chosenSVG.elements("rect", class: "cell").count == 6)
        #expect(try chosenSVG.texts(class: "x-title") == ["hidden layers"])
    }

    @Test func architectureBarsAndCurvesCoverEveryArchitecture() throws {
        let (_, charts) = try render(RunFixture.depthStudy())
        let bars = try ParsedSVG(charts["chart-architectures"]!.svg)
        let rects = try bars.elements("rect", class: "bar")
        #expect(rects.count == 10 * 3, "train, validation and test for 5 depths × BatchNorm")
        #expect(Set(rects.map { $0.attribute("data-series")! }) == ["train (whole split, ≤ 10,000 rows)", "validation", "test"])
        let groups = try bars.texts(class: "group-label")
        #expect(groups.prefix(2) == ["256", "256"] && groups.last == "256-128-64-32-16", "\(groups)")
        // Bars start at zero: a bar's height is proportional to its value.
        let validation = rects.filter { $0.attribute("data-series") == "validation" }
        let h = validation.map { $0.number("height")! }
        #expect(h.allSatisfy { $0 > 0 })
        let curves = try ParsedSVG(charts["chart-architecture-curves"]!.svg)
        #expect(try curves.elements("polyline", class: "architecture-accuracy").count == 10)
    }

    @Test func divergedTrialsKeepEveryChartFinite() throws {
        let (results, charts) = try render(RunFixture.seedGrid(hidden: [64]), options: ReportOptions(top: 9)) { c in
            c.learningRate == 0.1 && c.reg == 0.25 ? .diverged : .done
        }
        #expect(results.points.last?.row.status == .diverged)
        for chart in charts.values {
            _ = try ParsedSVG(chart.svg)
            let numbers = chart.svg.split(whereSeparator: { " ,\"".contains($0) })
            #expect(!numbers.contains("nan") && !numbers.contains("inf") && !numbers.contains("-nan"), "\(chart.id)")
        }
        let heatmap = try ParsedSVG(charts["chart-heatmap"]!.svg)
        #expect(try heatmap.texts(class: "cell-label").contains("diverged"))
    }

    @Test func heatmapOptionParsing() throws {
        let pair = try ReportParameter.pair(parsing: "learning_rate,bn")
        #expect(pair.0 == .learningRate && pair.1 == .batchNorm)
        #expect(throws: ReportError("--heatmap takes two parameters separated by a comma, e.g. lr,reg; got 'lr'.")) {
            try ReportParameter.pair(parsing: "lr")
        }
        #expect(throws: ReportError("--heatmap: unknown parameter 'speed'; use two of hidden, batch_norm, optimizer, momentum, lr, decay, reg, batch_size, length, init.")) {
            try ReportParameter.pair(parsing: "speed,reg")
        }
        #expect(throws: ReportError("--heatmap needs two different parameters; got 'lr,lr'.")) {
            try ReportParameter.pair(parsing: "lr,lr")
        }
    }

    @Test func smoothingAndThinning() {
        #expect(Curves.movingAverage([1, 2, 3, 4, 5], window: 3) == [1.5, 2, 3, 4, 4.5])
        #expect(Curves.movingAverage([1, .nan, 3], window: 3) == [1, 2, 3])
        let thinned = Curves.thin(Array(0..<10_000), limit: 800)
        #expect(thinned.count == 800 && thinned.first == 0 && thinned.last == 9_999)
        let linear = Scale.nice([0.42, 0.57], kind: .linear, start: 0, end: 1)
        #expect(linear.ticks.map { linear.label($0, percent: true) } == ["42 %", "44 %", "46 %", "48 %", "50 %", "52 %", "54 %", "56 %", "58 %"])
        #expect(Scale.nice([1e-3, 0.25], kind: .log, start: 0, end: 1).ticks == [1e-3, 1e-2, 1e-1, 1])
    }
}
