import MemprofAnalysis

/// The subset of `go tool pprof` flags the tests pass to both tools, turned into a report
/// and its options.
struct PprofArgs: CustomStringConvertible {
    var args: [String]

    init(_ args: [String]) { self.args = args }

    var description: String { args.joined(separator: " ") }

    /// File-name-safe form, used to name golden files after their flags.
    var slug: String {
        args.map { $0.replacingOccurrences(of: "/", with: "%") }.joined(separator: "_")
    }

    func report() -> (any Report, ReportOptions) {
        var o = ReportOptions()
        var report: any Report = TopReport()
        for a in args {
            let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
            let flag = parts[0], value = parts.count > 1 ? parts[1] : ""
            switch flag {
            case "-top": report = TopReport()
            case "-traces": report = TracesReport()
            case "-peek": report = PeekReport(value)
            case "-list": report = ListReport(value)
            case "-trim_path": o.trimPath = value
            case "-source_path": o.sourcePath = value
            case "-base", "-diff_base": break   // read by the test, see `ReportInput.combine`
            case "-cum": o.cumulative = true
            case "-nodecount": o.nodeCount = Int(value)!
            case "-nodefraction": o.nodeFraction = Double(value)!
            case "-edgefraction": o.edgeFraction = Double(value)!
            case "-sample_index": o.sampleIndex = value
            case "-focus": o.focus = value
            case "-ignore": o.ignore = value
            case "-hide": o.hide = value
            case "-show": o.show = value
            case "-show_from": o.showFrom = value
            case "-noinlines": o.noInlines = true
            case "-drop_negative": o.dropNegative = true
            case "-mean": o.mean = true
            case "-mean_delay": o.mean = true; o.sampleIndex = o.sampleIndex ?? "delay"
            case "-total_delay": o.sampleIndex = o.sampleIndex ?? "delay"
            case "-contentions": o.sampleIndex = o.sampleIndex ?? "contentions"
            case "-unit": o.unit = value
            case "-divide_by": o.divideBy = Double(value)!
            case "-functions", "-filefunctions", "-files", "-lines", "-addresses":
                o.granularity = Granularity(rawValue: String(flag.dropFirst()))!
            default: fatalError("unsupported flag \(a)")
            }
        }
        return (report, o)
    }
}
