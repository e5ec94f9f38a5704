/// A regular expression used the way Go's `regexp.MatchString` is: does it match anywhere in
/// the text. Patterns are Go's (RE2) syntax with Go's meaning, rewritten by `RE2Syntax`;
/// matching is by Unicode scalar (Go's runes), `\b` is an ASCII word boundary.
struct GoRegex: @unchecked Sendable {
    let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `pattern`; `option` names the flag in the error.
    init(_ pattern: String, option: String) throws {
        self.pattern = pattern
        let swift: RE2Syntax.Translation
        do {
            swift = try RE2Syntax.translate(pattern)
        } catch {
            throw AnalysisError.badRegex(option: option, pattern: pattern, reason: "error parsing regexp: " + error.message)
        }
        do {
            let compiled = try Regex(swift.pattern).wordBoundaryKind(.simple).asciiOnlyWordCharacters()
            regex = swift.wordBoundaries ? compiled : compiled.matchingSemantics(.unicodeScalar)
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
