import MemprofProfile

/// A profile made ready for one report, following pprof's driver: merged, names cleaned,
/// `drop_frames` applied, the total taken, then filtered and aggregated. Holds the value
/// formatting of the report.
struct PreparedReport {
    var profile: AnalysisProfile
    var options: ReportOptions
    let valueIndex: Int
    let sampleType: ValueType
    /// Sum of absolute sample values, taken before the focus filters.
    let total: Int64
    /// The first mapping's file and build ID, for the header.
    let mainFile: String
    let mainBuildID: String
    /// Unit values are printed in; `minimum` until `selectOutputUnit` picks one.
    var outputUnit: String
    /// pprof's warnings about filters that matched nothing.
    let warnings: [String]

    /// Prepares `source`. `trimFileNames` applies `-trim_path` to source file names, as
    /// pprof does for every report built from a call graph (not `traces`).
    init(_ source: Profile, options: ReportOptions, trimFileNames: Bool = true) throws {
        var p = try AnalysisProfile(source)
        p.simplifyNames()
        p.applyNameStyle(options)
        p.clearURLMappingFiles()
        try p.removeUninteresting()
        valueIndex = try p.sampleIndex(options.sampleIndex)
        if options.divideBy == 0 { throw AnalysisError.zeroDivisor }
        sampleType = p.sampleTypes[valueIndex]
        mainFile = p.mappings.first?.file ?? ""
        mainBuildID = p.mappings.first?.buildID ?? ""
        total = p.total(valueIndex: valueIndex, meanOf: options.mean)
        warnings = try p.applyFilters(options)
        p.aggregate(options.granularity, inlines: !options.noInlines)
        if trimFileNames {
            for i in p.functions.indices where !p.functions[i].filename.isEmpty {
                p.functions[i].filename = SourceReader.trimmed(
                    p.functions[i].filename, trimPath: options.trimPath ?? "", searchPath: options.sourcePath ?? "")
            }
        }
        profile = p
        self.options = options
        outputUnit = options.unit
    }

    private var ratio: Double { 1 / options.divideBy }

    /// A sample's value in the report: the chosen one, or with `mean` that divided by the
    /// sample's first value (when not zero).
    func value(of s: AnalysisProfile.Sample) -> Int64 {
        let v = s.values[valueIndex]
        guard options.mean, let d = s.values.first, d != 0 else { return v }
        return v.dividedReportingOverflow(by: d).partialValue
    }

    /// A value in the report's unit (`858.38MB`, `0.50MB`, `12`).
    func formatValue(_ v: Int64) -> String {
        var v = v
        if ratio > 0 && ratio != 1 { v = goInt64(Double(v) * ratio) }
        return Measurement.scaledLabel(v, from: sampleType.unit, to: outputUnit)
    }

    /// Picks one unit for the whole report when the unit is `minimum`: the one that suits
    /// the smallest value, or a larger one when the smallest is under 1% of the total.
    mutating func selectOutputUnit(_ g: CallGraph) {
        guard outputUnit == "minimum", !g.nodes.isEmpty else { return }
        var minValue: Int64 = 0
        for i in g.nodes {
            var nodeMin = abs64(g.allNodes[i].flatValue)
            if nodeMin == 0 { nodeMin = abs64(g.allNodes[i].cumValue) }
            if nodeMin > 0 && (minValue == 0 || nodeMin < minValue) { minValue = nodeMin }
        }
        var maxValue = total
        if minValue == 0 { minValue = maxValue }
        if ratio > 0 && ratio != 1 {
            minValue = goInt64(Double(minValue) * ratio)
            maxValue = goInt64(Double(maxValue) * ratio)
        }
        let unitName = sampleType.unit
        let minUnit = Measurement.scale(minValue, from: unitName, to: "minimum").unit
        let maxUnit = Measurement.scale(maxValue, from: unitName, to: "minimum").unit
        var unit = minUnit
        if minUnit != maxUnit && minValue &* 100 < maxValue {
            unit = Measurement.scale(100 &* minValue, from: unitName, to: "minimum").unit
        }
        outputUnit = unit.isEmpty ? unitName : unit
    }

    /// `File:`, `Build ID:`, comments, `Type:`, `Time:` and `Duration:` lines.
    func profileLabels() -> [String] {
        var labels: [String] = []
        if !mainFile.isEmpty { labels.append("File: " + GoPath.base(mainFile)) }
        if !mainBuildID.isEmpty { labels.append("Build ID: " + mainBuildID) }
        labels += profile.comments.filter { !$0.hasPrefix("#") }
        if !sampleType.type.isEmpty { labels.append("Type: " + (options.mean ? "mean_" : "") + sampleType.type) }
        if profile.timeNanos != 0 {
            labels.append("Time: " + LocalTime.pprofTimestamp(nanos: profile.timeNanos))
        }
        if profile.durationNanos != 0 {
            let duration = Measurement.label(profile.durationNanos, unit: "nanoseconds")
            let (totalNanos, totalUnit) = Measurement.scale(total, from: sampleType.unit, to: "nanoseconds")
            var ratio = ""
            if totalUnit == "ns" && totalNanos != 0 {
                ratio = "(" + Measurement.percentage(goInt64(totalNanos), of: profile.durationNanos) + ")"
            }
            labels.append("Duration: \(duration), Total samples = \(formatValue(total)) \(ratio)")
        }
        return labels
    }

    /// The profile labels plus the filters and what trimming left out.
    func reportLabels(_ t: TrimmedGraph) -> [String] {
        var labels = profileLabels()
        let filters = options.activeFilters
        if !filters.isEmpty {
            labels.append("Active filters:")
            for f in filters {
                let bytes = Array(f.utf8)
                labels.append("   " + (bytes.count > 80 ? String(decoding: bytes.prefix(80), as: UTF8.self) + "…" : f))
            }
        }
        let flatSum = t.graph.flatValueSum
        labels.append("Showing nodes accounting for \(formatValue(flatSum)), "
            + "\(trimSpaces(Measurement.percentage(flatSum, of: total))) of \(formatValue(total)) total")
        if total != 0 {
            if t.droppedNodes > 0 {
                let cutoff = formatValue(abs64(goInt64(Double(total) * options.nodeFraction)))
                labels.append("Dropped \(t.droppedNodes) node\(t.droppedNodes > 1 ? "s" : "") (cum <= \(cutoff))")
            }
            let count = t.graph.nodes.count
            if count > 0 && count < t.originalCount {
                labels.append("Showing top \(count) nodes out of \(t.originalCount)")
            }
        }
        return labels
    }
}

func trimSpaces(_ s: String) -> String {
    String(s.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
}
