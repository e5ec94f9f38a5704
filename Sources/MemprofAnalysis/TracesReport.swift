/// The `traces` report: every sample with its labels, value and full stack, leaf first
/// (`go tool pprof -traces`).
public struct TracesReport: Report {
    public var name: String { "traces" }

    /// The report; options come with the context.
    public init() {}

    static let separator = "-----------+-------------------------------------------------------"

    public func render(_ context: ReportContext) throws -> String {
        let options = context.options.adjusted(trim: true, defaultNodeCount: 80)
        let units = numericLabelUnits(context)
        let report = try PreparedReport(context.profile, options: options, trimFileNames: false)
        context.warn(report.warnings)
        let p = report.profile
        var out = report.profileLabels().joined(separator: "\n") + "\n"
        let frames = p.locations.indices.map { p.nodeInfos(of: $0, objectNames: false) }
        for s in p.samples {
            var stack: [(name: String, inline: Bool)] = []
            for loc in s.locations {
                let infos = frames[loc]
                for (i, info) in infos.enumerated() {
                    stack.append((info.printableName, i != infos.count - 1))
                }
            }
            if stack.isEmpty { continue }
            out += Self.separator + "\n"
            let labels = s.labels.map { key, values in
                GoFormat.pad(key, width: 10) + ":  " + values.joined(separator: " ") + "\n"
            }
            out += labels.sorted { $0.goLess($1) }.joined()
            let numeric = s.numericLabels.map { key, values in
                let unit = units[key] ?? ""
                return GoFormat.pad(key, width: 10) + ":  "
                    + values.map { Measurement.label($0, unit: unit) }.joined(separator: " ") + "\n"
            }
            out += numeric.sorted { $0.goLess($1) }.joined()
            for (i, frame) in stack.enumerated() {
                let value = i == 0 ? report.formatValue(report.value(of: s)) : ""
                out += GoFormat.pad(value, width: 10) + "   " + frame.name + (frame.inline ? " (inline)" : "") + "\n"
            }
        }
        out += Self.separator + "\n"
        return out
    }

    /// The unit of each numeric label key: the first unit given for it, else `bytes` for
    /// `alignment` and `request`, else the key itself.
    private func numericLabelUnits(_ context: ReportContext) -> [String: String] {
        var units: [String: String] = [:]
        var keys = Set<String>()
        for s in context.profile.samples {
            for key in s.numericLabels.keys {
                keys.insert(key)
                for unit in s.numericUnits[key] ?? [] where !unit.isEmpty && units[key] == nil {
                    units[key] = unit
                }
            }
        }
        for key in keys where units[key] == nil {
            units[key] = key == "alignment" || key == "request" ? "bytes" : key
        }
        return units
    }
}
