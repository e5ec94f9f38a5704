/// The `top` report: one line per function (or per line, file, address with another
/// granularity) with flat and cumulative values, heaviest first (`go tool pprof -top`).
///
/// ```
///       flat  flat%   sum%        cum   cum%
///   858.38MB 99.82% 99.82%   858.38MB 99.82%  main.bigBytes (inline)
/// ```
public struct TopReport: Report {
    public var name: String { "top" }

    /// The report; options come with the context.
    public init() {}

    /// One row of the report.
    public struct Row: Equatable, Sendable {
        /// The entry's name (`main.bigBytes`, `[libc.so.6]`, `f file.go:12` with `lines`).
        public var name: String
        /// `(inline)`, `(partial-inline)` or empty.
        public var inlineLabel: String
        /// Value of the samples whose leaf frame is this entry (its mean with `mean`).
        public var flat: Int64
        /// Value of the samples with this entry anywhere on the stack, counted once (its mean
        /// with `mean`).
        public var cum: Int64
        /// `flat` formatted in the report's unit.
        public var flatText: String
        /// `cum` formatted in the report's unit.
        public var cumText: String
    }

    /// The rows and header lines of the report, and the total the percentages refer to.
    public func rows(_ context: ReportContext) throws -> (rows: [Row], labels: [String], total: Int64) {
        let options = context.options.adjusted(trim: true, defaultNodeCount: 0)
        var report = try PreparedReport(context.profile, options: options)
        context.warn(report.warnings)
        let trimmed = report.trimmedGraph()
        report.selectOutputUnit(trimmed.graph)
        let labels = report.reportLabels(trimmed)
        let g = trimmed.graph
        let rows = g.nodes.map { i -> Row in
            let n = g.allNodes[i]
            return Row(name: n.info.printableName, inlineLabel: g.inlineLabel(i), flat: n.flatValue, cum: n.cumValue,
                       flatText: report.formatValue(n.flatValue), cumText: report.formatValue(n.cumValue))
        }
        return (rows, labels, report.total)
    }

    public func render(_ context: ReportContext) throws -> String {
        let (rows, labels, total) = try rows(context)
        var out = labels.joined(separator: "\n") + "\n"
        out += "      flat  flat%   sum%        cum   cum%\n"
        var flatSum: Int64 = 0
        for r in rows {
            flatSum &+= r.flat
            out += GoFormat.pad(r.flatText, width: 10) + " " + Measurement.percentage(r.flat, of: total) + " "
                + Measurement.percentage(flatSum, of: total) + " " + GoFormat.pad(r.cumText, width: 10) + " "
                + Measurement.percentage(r.cum, of: total) + "  " + r.name
                + (r.inlineLabel.isEmpty ? "" : " " + r.inlineLabel) + "\n"
        }
        return out
    }
}
