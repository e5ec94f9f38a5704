/// The `list` report: the source of each function whose name matches a regex, every line
/// annotated with its flat and cumulative value (`go tool pprof -list=regex`).
///
/// ```
/// Total: 859.91MB
/// ROUTINE ======================== main.bigBytes in main.go
///   858.38MB   858.38MB (flat, cum) 99.82% of Total
///          .          .     10:
///   858.38MB   858.38MB     11:func bigBytes() *[]byte { ... }
/// ```
///
/// Source files are found with `ReportOptions.sourcePath` and `trimPath` (pprof's
/// `-source_path`, `-trim_path`). A file that cannot be found gets pprof's error line
/// (` Error: could not find file main.go on path /src`) under its header; a function
/// without file names gets `No source information for NAME`.
public struct ListReport: Report {
    public var name: String { "list" }
    /// Regex selecting functions by name.
    public var pattern: String

    /// A listing of the functions whose names match `pattern` (a regex; throws at render if
    /// invalid, or if it matches no function with samples).
    public init(_ pattern: String) { self.pattern = pattern }

    /// Lines shown before the first and after the last line with samples.
    static let margin: Int64 = 5

    /// The listing: a `Total:` line, then a header, a totals line and the annotated source
    /// lines for each matching function and file, functions and files in name order.
    public func render(_ context: ReportContext) throws -> String {
        let rx = try GoRegex(pattern, option: "list")
        var options = context.options
        options.granularity = .lines
        options = options.adjusted(trim: false, defaultNodeCount: 0)
        let report = try PreparedReport(context.profile, options: options)
        context.warn(report.warnings)
        let g = CallGraph(report.profile, valueIndex: report.valueIndex, objectNames: true,
                          dropNegative: options.dropNegative, edges: false)

        var names: [String] = []
        var nodesByName: [String: [Int]] = [:]
        for i in g.nodes {
            let name = g.allNodes[i].info.name
            guard rx.matches(name) else { continue }
            if nodesByName[name] == nil { names.append(name) }
            nodesByName[name, default: []].append(i)
        }
        if names.isEmpty { throw AnalysisError.noMatches(pattern) }
        names.sort { $0.goLess($1) }

        let searchPath = options.sourcePath.flatMap { $0.isEmpty ? nil : $0 } ?? SourceReader.workingDirectory()
        var reader = SourceReader(searchPath: searchPath, trimPath: options.trimPath ?? "")
        var out = "Total: \(report.formatValue(report.total))\n"
        for name in names {
            var files: [String] = []
            var nodesByFile: [String: [CallGraph.Node]] = [:]
            for i in nodesByName[name]! {
                let n = g.allNodes[i]
                if n.info.file.isEmpty { continue }
                if nodesByFile[n.info.file] == nil { files.append(n.info.file) }
                nodesByFile[n.info.file, default: []].append(n)
            }
            if files.isEmpty {
                out += "No source information for \(name)\n"
                continue
            }
            files.sort { $0.goLess($1) }
            for file in files {
                let nodes = nodesByFile[file]!
                let flat = nodes.reduce(Int64(0)) { $0 &+ $1.flat }
                let cum = nodes.reduce(Int64(0)) { $0 &+ $1.cum }
                out += "ROUTINE ======================== \(name) in \(file)\n"
                out += GoFormat.pad(report.formatValue(flat), width: 10) + " "
                    + GoFormat.pad(report.formatValue(cum), width: 10) + " (flat, cum) "
                    + Measurement.percentage(cum, of: report.total) + " of Total\n"
                let lines = sourceLines(file, nodes, &reader)
                if let error = reader.error(file) {
                    out += " Error: \(error)\n"
                    continue
                }
                for line in lines {
                    out += GoFormat.pad(valueOrDot(line.flat, report), width: 10) + " "
                        + GoFormat.pad(valueOrDot(line.cum, report), width: 10) + " "
                        + GoFormat.pad(String(line.number), width: 6) + ":" + line.text + "\n"
                }
            }
        }
        return out
    }

    struct SourceLine {
        var number: Int64
        var text: String
        var flat: Int64
        var cum: Int64
    }

    /// The annotated lines of one function in one file: from its start line (or 5 lines
    /// before its first sampled line) to 5 lines after its last, clipped to the file. The
    /// range grows the way pprof's does, node by node.
    func sourceLines(_ file: String, _ nodes: [CallGraph.Node], _ reader: inout SourceReader) -> [SourceLine] {
        let first = nodes[0].info
        var start = first.startLine != 0 ? first.startLine : first.lineNumber &- Self.margin
        var end = first.lineNumber &+ Self.margin
        var values: [Int64: (flat: Int64, cum: Int64)] = [:]
        for n in nodes {
            let line = n.info.lineNumber
            let nodeStart = n.info.startLine != 0 ? n.info.startLine : line &- Self.margin
            if nodeStart < start {
                start = nodeStart
            } else if line &+ Self.margin > end {
                end = line &+ Self.margin
            }
            let v = values[line] ?? (0, 0)
            values[line] = (v.flat &+ n.flat, v.cum &+ n.cum)
        }
        if start < 1 { start = 1 }
        var lines: [SourceLine] = []
        var number = start
        while number <= end, let text = reader.line(file, number) {
            let v = values[number] ?? (0, 0)
            lines.append(SourceLine(number: number, text: text, flat: v.flat, cum: v.cum))
            number += 1
        }
        return lines
    }

    private func valueOrDot(_ v: Int64, _ report: PreparedReport) -> String {
        v == 0 ? "." : report.formatValue(v)
    }
}
