import Memprof

/// The page `memprof run --timeline` writes: live heap and RSS over time as one self-contained
/// HTML file (an inline SVG chart, no script, no network), with the exact peak and exit values.
struct TimelineReport {
    var command: [String]
    var points: [TimelineRecorder.Point]
    /// How long the program ran, seconds.
    var seconds: Double
    /// Exact figures from the final counters, when the program reached the hook.
    var peakLiveBytes: UInt64?
    var exitLiveBytes: UInt64?

    static let width = 900.0, height = 360.0
    static let left = 90.0, right = 20.0, top = 20.0, bottom = 40.0

    var html: String {
        let title = escape(ShellQuoting.line(command))
        var facts = ["ran \(format(seconds)) s", "\(points.count) readings"]
        if let peakLiveBytes { facts.append("peak live heap \(Memprof.formatBytes(peakLiveBytes)) (exact)") }
        if let exitLiveBytes { facts.append("live at exit \(Memprof.formatBytes(exitLiveBytes))") }
        if let maxRSS = points.map(\.residentBytes).max() { facts.append("highest RSS read \(Memprof.formatBytes(maxRSS))") }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>memprof timeline: \(title)</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 20px; color: #222; }
            h1 { font-size: 18px; margin: 0 0 4px; } p { margin: 4px 0 12px; color: #555; }
            .axis { stroke: #888; } .grid { stroke: #e5e5e5; } text { font: 12px system-ui, sans-serif; fill: #444; }
            .live { fill: none; stroke: #1f6fd1; stroke-width: 2; } .rss { fill: none; stroke: #e07b18; stroke-width: 2; }
            .peak { stroke: #1f6fd1; stroke-width: 1; stroke-dasharray: 4 3; }
            </style></head><body>
            <h1>Memory of \(title)</h1>
            <p>\(escape(facts.joined(separator: " · ")))</p>
            \(svg)
            <p>Live heap: bytes in malloc blocks not yet freed (memprof's exact counters). RSS: the
            program's pages in RAM (/proc/PID/statm). Both read by memprof run every few
            milliseconds while the program ran; the live heap's last point is its exact value at
            exit, and the dashed line its exact peak, which the readings may have missed.</p>
            </body></html>

            """
    }

    var svg: String {
        let w = Self.width, h = Self.height
        let plotW = w - Self.left - Self.right, plotH = h - Self.top - Self.bottom
        let maxTime = max(points.last?.at ?? 0, seconds, 0.001)
        let maxBytes = max(points.map { max($0.liveBytes, $0.residentBytes) }.max() ?? 0, peakLiveBytes ?? 0, 1)
        // Steps of 1, 2 or 5 KiB, MiB or GiB, so the axis reads 100 MiB, not 95.4 MiB.
        var unit = 1.0
        while Double(maxBytes) / unit >= 1024 * 5 && unit < 1_073_741_824 { unit *= 1024 }
        let yStep = niceStep(Double(maxBytes) / 5 / unit) * unit
        let yMax = (Double(maxBytes) / yStep).rounded(.up) * yStep
        let xStep = niceStep(maxTime / 8)
        func x(_ t: Double) -> Double { Self.left + t / maxTime * plotW }
        func y(_ b: Double) -> Double { Self.top + plotH - b / yMax * plotH }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">\n"
        var v = 0.0
        while v <= yMax + yStep / 2 {
            out += "<line class=\"grid\" x1=\"\(f(Self.left))\" x2=\"\(f(w - Self.right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>"
            out += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(Memprof.formatBytes(Int(v)))</text>\n"
            v += yStep
        }
        var t = 0.0
        while t <= maxTime + xStep / 100 {
            out += "<line class=\"axis\" x1=\"\(f(x(t)))\" x2=\"\(f(x(t)))\" y1=\"\(f(h - Self.bottom))\" y2=\"\(f(h - Self.bottom + 5))\"/>"
            out += "<text x=\"\(f(x(t)))\" y=\"\(f(h - Self.bottom + 18))\" text-anchor=\"middle\">\(format(t)) s</text>\n"
            t += xStep
        }
        out += "<line class=\"axis\" x1=\"\(f(Self.left))\" x2=\"\(f(w - Self.right))\" y1=\"\(f(h - Self.bottom))\" y2=\"\(f(h - Self.bottom))\"/>\n"
        out += "<line class=\"axis\" x1=\"\(f(Self.left))\" x2=\"\(f(Self.left))\" y1=\"\(f(Self.top))\" y2=\"\(f(h - Self.bottom))\"/>\n"
        let rss = points.map { "\(f(x($0.at))),\(f(y(Double($0.residentBytes))))" }.joined(separator: " ")
        // The live heap at exit is exact (the final counters): the line ends there. RSS has no
        // reading after the last one.
        var livePoints = points.map { (at: $0.at, bytes: $0.liveBytes) }
        if let exitLiveBytes, seconds >= (points.last?.at ?? 0) { livePoints.append((seconds, exitLiveBytes)) }
        let live = livePoints.map { "\(f(x($0.at))),\(f(y(Double($0.bytes))))" }.joined(separator: " ")
        out += "<polyline class=\"rss\" points=\"\(rss)\"><title>RSS</title></polyline>\n"
        out += "<polyline class=\"live\" points=\"\(live)\"><title>live heap</title></polyline>\n"
        // The exact peak, which readings every few milliseconds can miss; when it happened is
        // not known, so it is a level across the chart.
        if let peakLiveBytes {
            let py = f(y(Double(peakLiveBytes)))
            out += "<line class=\"peak\" x1=\"\(f(Self.left))\" x2=\"\(f(w - Self.right))\" y1=\"\(py)\" y2=\"\(py)\"><title>peak live heap (exact)</title></line>"
            out += "<text x=\"\(f(w - Self.right - 4))\" y=\"\(f(y(Double(peakLiveBytes)) - 4))\" text-anchor=\"end\">peak \(Memprof.formatBytes(peakLiveBytes)) (exact)</text>\n"
        }
        let lx = Self.left + 12
        out += "<line class=\"live\" x1=\"\(f(lx))\" x2=\"\(f(lx + 24))\" y1=\"\(f(Self.top + 10))\" y2=\"\(f(Self.top + 10))\"/>"
        out += "<text x=\"\(f(lx + 30))\" y=\"\(f(Self.top + 14))\">live heap</text>"
        out += "<line class=\"rss\" x1=\"\(f(lx + 110))\" x2=\"\(f(lx + 134))\" y1=\"\(f(Self.top + 10))\" y2=\"\(f(Self.top + 10))\"/>"
        out += "<text x=\"\(f(lx + 140))\" y=\"\(f(Self.top + 14))\">RSS</text>\n"
        out += "<text x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(h - 4))\" text-anchor=\"middle\">time since start</text>\n"
        return out + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    private func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where power * m >= raw { return power * m }
        return power * 10
    }

    private func f(_ v: Double) -> String { String(Int((v * 10).rounded()) / 10) + "." + String(abs(Int((v * 10).rounded()) % 10)) }

    private func format(_ s: Double) -> String {
        if s >= 10 { return String(Int(s.rounded())) }
        let hundredths = Int((s * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
