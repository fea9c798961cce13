import Foundation

/// Small hand-written SVG charts for the HTML report: no scripts, no external files.
enum SVGChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    /// Band shading behind a chart, e.g. a phase of the run.
    struct Band {
        var from: Double
        var to: Double
        var label: String
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let width = 640.0
    static let height = 300.0
    static let margin = (left: 56.0, right: 16.0, top: 16.0, bottom: 44.0)

    /// Lines (steps when `steps`) over a shared x axis, y from 0 to `yMax` (or the data's max).
    static func lines(
        _ series: [Series],
        xLabel: String,
        yLabel: String,
        yMax fixedYMax: Double? = nil,
        yPercent: Bool = false,
        steps: Bool = false,
        bands: [Band] = [],
        legendAt legendPosition: Double = 0
    ) -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + bands.flatMap { [$0.from, $0.to] }
        let ys = series.flatMap { $0.points.map(\.y) }
        let xMin = min(xs.min() ?? 0, 0)
        let xMax = niceCeiling(max(xs.max() ?? 1, xMin + 1e-9))
        let yMax = fixedYMax ?? niceCeiling(max(ys.max() ?? 1, 1e-9))
        let plot = Plot(xMin: xMin, xMax: xMax, yMin: 0, yMax: yMax)
        var svg = header()
        for (index, band) in bands.enumerated() {
            let x0 = plot.x(band.from)
            let x1 = plot.x(band.to)
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(margin.top))\" width=\"\(f(max(0, x1 - x0)))\" height=\"\(f(plot.plotHeight))\" fill=\"\(index % 2 == 0 ? "#f3f3f3" : "#e8eef6")\"/>"
            if x1 - x0 >= 40 {  // a label wider than its band would overlap the next one
                svg += "<text x=\"\(f(x0 + 3))\" y=\"\(f(margin.top + plot.plotHeight - 4))\" class=\"band\">\(escape(band.label))</text>"
            }
        }
        svg += axes(plot, xLabel: xLabel, yLabel: yLabel, yPercent: yPercent)
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            var path = ""
            var previous: (x: Double, y: Double)?
            for point in line.points {
                if let previous {
                    if steps { path += " L\(f(plot.x(point.x))),\(f(plot.y(previous.y)))" }
                    path += " L\(f(plot.x(point.x))),\(f(plot.y(point.y)))"
                } else {
                    path += "M\(f(plot.x(point.x))),\(f(plot.y(point.y)))"
                }
                previous = point
            }
            svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(palette[index % palette.count])\" stroke-width=\"1.8\"/>"
        }
        svg += legend(series.map(\.name), at: legendPosition)
        return svg + "</svg>"
    }

    /// Vertical bars for `counts[i]` at category `labels[i]`.
    static func bars(_ counts: [Int], labels: [String], xLabel: String, yLabel: String) -> String {
        let yMax = niceCeiling(Double(max(counts.max() ?? 1, 1)))
        let plot = Plot(xMin: 0, xMax: Double(max(counts.count, 1)), yMin: 0, yMax: yMax)
        var svg = header()
        svg += axes(plot, xLabel: xLabel, yLabel: yLabel, yPercent: false, xTicks: false)
        let slot = plot.plotWidth / Double(max(counts.count, 1))
        for (index, count) in counts.enumerated() {
            let x = margin.left + slot * Double(index) + slot * 0.15
            let top = plot.y(Double(count))
            svg += "<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(slot * 0.7))\" height=\"\(f(plot.y(0) - top))\" fill=\"\(palette[0])\"><title>\(escape(labels[index])): \(count)</title></rect>"
            svg += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(plot.y(0) + 14))\" class=\"tick\" text-anchor=\"middle\">\(escape(labels[index]))</text>"
            if count > 0 {
                svg += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(top - 3))\" class=\"tick\" text-anchor=\"middle\">\(count)</text>"
            }
        }
        return svg + "</svg>"
    }

    // MARK: - Internals

    private struct Plot {
        var xMin: Double, xMax: Double, yMin: Double, yMax: Double
        var plotWidth: Double { SVGChart.width - margin.left - margin.right }
        var plotHeight: Double { SVGChart.height - margin.top - margin.bottom }
        func x(_ value: Double) -> Double { margin.left + (value - xMin) / max(xMax - xMin, 1e-12) * plotWidth }
        func y(_ value: Double) -> Double { margin.top + plotHeight - (value - yMin) / max(yMax - yMin, 1e-12) * plotHeight }
    }

    private static func header() -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" class=\"chart\">"
    }

    private static func axes(_ plot: Plot, xLabel: String, yLabel: String, yPercent: Bool, xTicks: Bool = true) -> String {
        var svg = ""
        let x0 = margin.left
        let y0 = plot.y(plot.yMin)
        svg += "<line x1=\"\(f(x0))\" y1=\"\(f(y0))\" x2=\"\(f(x0 + plot.plotWidth))\" y2=\"\(f(y0))\" class=\"axis\"/>"
        svg += "<line x1=\"\(f(x0))\" y1=\"\(f(margin.top))\" x2=\"\(f(x0))\" y2=\"\(f(y0))\" class=\"axis\"/>"
        for step in 0...4 {
            let value = plot.yMin + (plot.yMax - plot.yMin) * Double(step) / 4
            let y = plot.y(value)
            svg += "<line x1=\"\(f(x0))\" y1=\"\(f(y))\" x2=\"\(f(x0 + plot.plotWidth))\" y2=\"\(f(y))\" class=\"grid\"/>"
            let label = yPercent ? "\(Int((value * 100).rounded()))%" : tickLabel(value)
            svg += "<text x=\"\(f(x0 - 6))\" y=\"\(f(y + 4))\" class=\"tick\" text-anchor=\"end\">\(label)</text>"
        }
        if xTicks {
            for step in 0...5 {
                let value = plot.xMin + (plot.xMax - plot.xMin) * Double(step) / 5
                svg += "<text x=\"\(f(plot.x(value)))\" y=\"\(f(y0 + 16))\" class=\"tick\" text-anchor=\"middle\">\(tickLabel(value))</text>"
            }
        }
        svg += "<text x=\"\(f(x0 + plot.plotWidth / 2))\" y=\"\(f(height - 6))\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg += "<text x=\"12\" y=\"\(f(margin.top + plot.plotHeight / 2))\" class=\"label\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(margin.top + plot.plotHeight / 2)))\">\(escape(yLabel))</text>"
        return svg
    }

    /// The legend at the right, `position` from 0 (top) to 1 (bottom) of the plot.
    private static func legend(_ names: [String], at position: Double) -> String {
        var svg = ""
        let plotHeight = height - margin.top - margin.bottom
        let top = margin.top + 14 + max(0, min(1, position)) * (plotHeight - 20 - Double(names.count) * 15)
        for (index, name) in names.enumerated() {
            let x = width - margin.right - 150
            let y = top + Double(index) * 15
            svg += "<rect x=\"\(f(x))\" y=\"\(f(y - 8))\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(f(x + 14))\" y=\"\(f(y + 1))\" class=\"tick\">\(escape(name))</text>"
        }
        return svg
    }

    /// A round number (1, 1.2, 1.5, 1.8, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 1.2, 1.5, 1.8, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] where factor * power >= value * (1 - 1e-9) {
            return factor * power
        }
        return 10 * power
    }

    private static func tickLabel(_ value: Double) -> String {
        if abs(value) >= 1000, value == value.rounded() { return String(Int(value)) }
        return format(value)
    }

    static func f(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

/// Text safe inside HTML and SVG.
func escape(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        default: result.append(character)
        }
    }
    return result
}
