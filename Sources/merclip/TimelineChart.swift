// Draws a stream timeline as SVG: one panel per task, one line per label (its smoothed score over time),
// each line named at its right end in its own colour, a time axis and a 0–1 score axis.
import Foundation
import Sinks

struct TimelineChart {
    let timeline: StreamTimeline
    var width = 900.0
    var panelHeight = 220.0

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                          "#7f7f7f", "#bcbd22"]
    // plot area inside each panel: left margin for the score axis, right margin for the line names
    let left = 50.0, right = 110.0, top = 30.0, bottom = 40.0

    func svg() -> String {
        let tasks = timeline.tasks
        let height = Double(max(tasks.count, 1)) * panelHeight
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <title>\(escape("merclip timeline of stream \(timeline.stream)"))</title>

            """
        if tasks.isEmpty {
            out += "<text x=\"\(left)\" y=\"\(top)\">\(escape("no results for stream \(timeline.stream)"))</text>\n"
        }
        let times = timeline.points.map(\.at.timeIntervalSince1970)
        let t0 = times.min() ?? 0, t1 = max(times.max() ?? 1, t0 + 1)
        for (k, task) in tasks.enumerated() {
            out += panel(task.task, labels: task.labels, y0: Double(k) * panelHeight, t0: t0, t1: t1)
        }
        return out + "</svg>\n"
    }

    private func panel(_ task: String, labels: [String], y0: Double, t0: Double, t1: Double) -> String {
        let plotW = width - left - right, plotH = panelHeight - top - bottom
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * plotW }
        func y(_ v: Double) -> Double { y0 + top + (1 - min(max(v, 0), 1)) * plotH }
        var s = "<g class=\"panel\" data-task=\"\(escape(task))\">\n"
        s += "<text x=\"\(left)\" y=\"\(f(y0 + top - 10))\" font-weight=\"bold\">\(escape(task))</text>\n"
        // score axis with ticks 0, 0.5, 1 and light grid lines
        s += "<g class=\"axis y\">\n<line x1=\"\(left)\" y1=\"\(f(y(1)))\" x2=\"\(left)\" y2=\"\(f(y(0)))\" stroke=\"#000\"/>\n"
        for v in [0.0, 0.5, 1.0] {
            s += "<line x1=\"\(left)\" y1=\"\(f(y(v)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(v)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(v)</text>\n"
        }
        s += "</g>\n"
        // time axis: five ticks with wall-clock labels
        s += "<g class=\"axis x\">\n<line x1=\"\(left)\" y1=\"\(f(y(0)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(0)))\" stroke=\"#000\"/>\n"
        for i in 0...4 {
            let t = t0 + (t1 - t0) * Double(i) / 4
            s += "<line x1=\"\(f(x(t)))\" y1=\"\(f(y(0)))\" x2=\"\(f(x(t)))\" y2=\"\(f(y(0) + 5))\" stroke=\"#000\"/>"
            s += "<text x=\"\(f(x(t)))\" y=\"\(f(y(0) + 18))\" text-anchor=\"middle\">\(tickLabel(t, span: t1 - t0))</text>\n"
        }
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(y(0) + 33))\" text-anchor=\"middle\">time (UTC)</text>\n</g>\n"
        // one line per label, named at its right end
        for (i, label) in labels.enumerated() {
            let pts = timeline.points.filter { $0.task == task && $0.label == label }
            guard let last = pts.last else { continue }
            let colour = TimelineChart.colours[i % TimelineChart.colours.count]
            let d = pts.enumerated().map { j, p in "\(j == 0 ? "M" : "L")\(f(x(p.at.timeIntervalSince1970))),\(f(y(p.smoothed)))" }
                .joined(separator: " ")
            s += "<path class=\"series\" data-label=\"\(escape(label))\" d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            s += "<text class=\"series-label\" x=\"\(f(x(last.at.timeIntervalSince1970) + 6))\" y=\"\(f(y(last.smoothed) + 4))\" "
                + "fill=\"\(colour)\">\(escape(label))</text>\n"
        }
        return s + "</g>\n"
    }

    private func tickLabel(_ t: Double, span: Double) -> String {
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = span > 86_400 ? "MM-dd HH:mm" : "HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
