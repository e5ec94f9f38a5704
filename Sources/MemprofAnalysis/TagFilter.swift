/// A `-tagfocus` / `-tagignore` filter, read as pprof reads it:
/// - `key=value` looks at the labels named `key` only; a bare `value` (or `=value`) at all.
/// - A value made of a number with an optional unit is a range on numeric labels: `64kB`
///   (equal), `1kB:` (at least), `:16kB` (at most), `8kB:32kB` (both ends included), compared
///   in the unit of the label (its `num_unit`, else `bytes` for `alignment` and `request`,
///   else the key's name), and only with labels whose unit is of the same kind.
/// - Otherwise the value is a comma-separated list of regexes (RE2, unanchored). With a key, a
///   sample matches when any of them matches any of that key's values (`key=` alone: the
///   sample has the key). Without one, every regex must match some `key:value` of the sample.
struct TagFilter {
    private enum Test {
        case range((Int64, String) -> Bool)
        /// nil stands for the empty regex, which matches everything.
        case regexes([GoRegex?])
    }

    private var key: String?
    private var test: Test
    /// The unit of each numeric label key, for ranges.
    private var units: [String: String]

    /// nil for no filter (nil or empty text). `samples` are the profile's, for the units of
    /// its numeric labels.
    init?(_ text: String?, option: String, samples: [AnalysisProfile.Sample]) throws {
        guard let text, !text.isEmpty else { return nil }
        var value = text
        if let eq = text.firstIndex(of: "=") {
            let name = String(text[..<eq])
            key = name.isEmpty ? nil : name
            value = String(text[text.index(after: eq)...])
        }
        units = Self.numericLabelUnits(samples)
        if let range = Self.range(value) {
            test = .range(range)
        } else {
            test = .regexes(try value.split(separator: ",", omittingEmptySubsequences: false).map {
                try GoRegex.compile(String($0), option: option)
            })
        }
    }

    func matches(_ sample: AnalysisProfile.Sample) -> Bool {
        switch test {
        case .range(let inRange):
            let keys = key.map { [$0] } ?? Array(sample.numericLabels.keys)
            return keys.contains { k in
                (sample.numericLabels[k] ?? []).contains { inRange($0, units[k] ?? k) }
            }
        case .regexes(let regexes):
            if let key {
                guard let values = sample.labels[key] else { return false }
                return regexes.contains { rx in values.contains { rx?.matches($0) ?? true } }
            }
            return regexes.allSatisfy { rx in
                sample.labels.contains { k, values in values.contains { rx?.matches(k + ":" + $0) ?? true } }
            }
        }
    }

    /// pprof's units of numeric labels: the first unit a sample gives a key, else `bytes` for
    /// `alignment` and `request`, else the key itself.
    private static func numericLabelUnits(_ samples: [AnalysisProfile.Sample]) -> [String: String] {
        var units: [String: String] = [:]
        for s in samples {
            for (k, values) in s.numericLabels where units[k] == nil || units[k] == "" {
                let given = (s.numericUnits[k] ?? []).prefix(values.count).first { !$0.isEmpty } ?? ""
                units[k] = given
            }
        }
        for (k, u) in units where u.isEmpty { units[k] = k == "alignment" || k == "request" ? "bytes" : k }
        return units
    }

    /// A number with an optional unit (`[+-]?digits letters?`), as `N`, `N:`, `:N` or `N:M`;
    /// nil when the value is not one of those (it is then a regex).
    private static func range(_ value: String) -> ((Int64, String) -> Bool)? {
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let bounds = parts.map(quantity)
        switch (parts.count, bounds.first ?? nil, bounds.count > 1 ? bounds[1] : nil) {
        case (1, let low?, _):
            return within(low.unit) { $0 == low.scaled }
        case (2, let low?, nil) where parts[1].isEmpty:
            return within(low.unit) { $0 >= low.scaled }
        case (2, nil, let high?) where parts[0].isEmpty:
            return within(high.unit) { $0 <= high.scaled }
        case (2, let low?, let high?):
            let upper = Measurement.scale(high.number, from: high.spelled, to: low.unit)
            guard upper.unit == low.unit else { return nil }
            return within(low.unit) { $0 >= low.scaled && $0 <= upper.value }
        default:
            return nil
        }
    }

    /// A label value's test: scaled to `unit`, and of its kind.
    private static func within(_ unit: String, _ test: @escaping (Double) -> Bool) -> (Int64, String) -> Bool {
        { value, labelUnit in
            let (scaled, scaledUnit) = Measurement.scale(value, from: labelUnit, to: unit)
            return scaledUnit == unit && test(scaled)
        }
    }

    private struct Quantity {
        var number: Int64, spelled: String, scaled: Double, unit: String
    }

    /// `[+-]?digits` then letters only (pprof's range syntax), scaled to its own unit.
    private static func quantity(_ text: String) -> Quantity? {
        var digitsEnd = text.startIndex
        if digitsEnd < text.endIndex, text[digitsEnd] == "+" || text[digitsEnd] == "-" { digitsEnd = text.index(after: digitsEnd) }
        let digitsStart = digitsEnd
        while digitsEnd < text.endIndex, text[digitsEnd].isASCII, text[digitsEnd].isNumber { digitsEnd = text.index(after: digitsEnd) }
        guard digitsEnd > digitsStart, let number = Int64(text[..<digitsEnd]) else { return nil }
        let spelled = String(text[digitsEnd...])
        guard spelled.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        let (scaled, unit) = Measurement.scale(number, from: spelled, to: spelled)
        return Quantity(number: number, spelled: spelled, scaled: scaled, unit: unit)
    }
}
