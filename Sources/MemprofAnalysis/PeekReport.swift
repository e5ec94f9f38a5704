/// The `peek` report: for each entry whose name matches a regex, its callers and callees
/// with the weight of each call edge (`go tool pprof -peek=regex`).
public struct PeekReport: Report {
    public var name: String { "peek" }
    /// Regex selecting the entries to show.
    public var pattern: String

    /// A peek at the entries matching `pattern` (a regex; throws at render if invalid).
    public init(_ pattern: String) { self.pattern = pattern }

    static let separator = "----------------------------------------------------------+-------------"
    static let legend = "      flat  flat%   sum%        cum   cum%   calls calls% + context \t \t "

    public func render(_ context: ReportContext) throws -> String {
        let rx = try GoRegex(pattern, option: "peek")
        let options = context.options.adjusted(trim: false, defaultNodeCount: 80)
        var report = try PreparedReport(context.profile, options: options)
        context.warn(report.warnings)
        let trimmed = report.trimmedGraph()
        report.selectOutputUnit(trimmed.graph)
        let g = trimmed.graph
        var out = report.reportLabels(trimmed).joined(separator: "\n") + "\n"
        out += Self.separator + "\n" + Self.legend + "\n"
        var flatSum: Int64 = 0
        var matched = 0
        for i in g.nodes {
            let n = g.allNodes[i]
            let name = n.info.printableName
            guard rx.matches(name) else { continue }
            matched += 1
            out += Self.separator + "\n"
            // With `mean`, nodes show means and edges totals, as in pprof.
            let flat = n.flatValue, cum = n.cumValue
            for (caller, e) in g.sortedEdges(of: i, incoming: true) {
                out += edgeLine(report, e, of: cum, g.allNodes[caller].info.printableName)
            }
            flatSum &+= flat
            out += GoFormat.pad(report.formatValue(flat), width: 10) + " "
                + Measurement.percentage(flat, of: report.total) + " "
                + Measurement.percentage(flatSum, of: report.total) + " "
                + GoFormat.pad(report.formatValue(cum), width: 10) + " "
                + Measurement.percentage(cum, of: report.total) + "                | " + name + "\n"
            for (callee, e) in g.sortedEdges(of: i, incoming: false) {
                out += edgeLine(report, e, of: cum, g.allNodes[callee].info.printableName)
            }
        }
        if !g.nodes.isEmpty { out += Self.separator + "\n" }
        if matched == 0 { throw AnalysisError.noMatches(pattern) }
        return out
    }

    private func edgeLine(_ r: PreparedReport, _ e: CallGraph.Edge, of cum: Int64, _ other: String) -> String {
        GoFormat.pad(r.formatValue(e.weight), width: 50) + " " + Measurement.percentage(e.weight, of: cum)
            + " |   " + other + (e.inline ? " (inline)" : "") + "\n"
    }
}
