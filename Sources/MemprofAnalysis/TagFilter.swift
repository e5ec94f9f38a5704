/// A `-tagfocus` / `-tagignore` filter on string labels, as pprof reads it: `key=regex`
/// matches a sample whose `key` label has a value matching the regex; a bare `regex` one
/// with any label value matching. Regexes are unanchored (RE2 syntax, as `-focus`).
struct TagFilter {
    var key: String?
    var regex: GoRegex

    /// nil for no filter (nil or empty text).
    init?(_ text: String?, option: String) throws {
        guard let text, !text.isEmpty else { return nil }
        if let eq = text.firstIndex(of: "="), eq != text.startIndex {
            key = String(text[..<eq])
            let pattern = String(text[text.index(after: eq)...])
            guard let compiled = try GoRegex.compile(pattern, option: option) else { return nil }
            regex = compiled
        } else {
            key = nil
            guard let compiled = try GoRegex.compile(text, option: option) else { return nil }
            regex = compiled
        }
    }

    func matches(_ labels: [String: [String]]) -> Bool {
        if let key { return labels[key]?.contains { regex.matches($0) } ?? false }
        return labels.values.contains { $0.contains { regex.matches($0) } }
    }
}
