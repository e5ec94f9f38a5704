/// A regular expression used the way Go's `regexp.MatchString` is: does it match anywhere in
/// the text. Patterns are RE2-style; Swift's regex syntax accepts the common subset.
struct GoRegex: @unchecked Sendable {
    let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `pattern`; `option` names the flag in the error.
    init(_ pattern: String, option: String) throws {
        self.pattern = pattern
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw AnalysisError.badRegex(option: option, pattern: pattern, reason: "\(error)")
        }
    }

    /// Compiles an optional pattern; empty or nil gives nil.
    static func compile(_ pattern: String?, option: String) throws -> GoRegex? {
        guard let pattern, !pattern.isEmpty else { return nil }
        return try GoRegex(pattern, option: option)
    }

    func matches(_ text: String) -> Bool {
        ((try? regex.firstMatch(in: text)) ?? nil) != nil
    }
}
