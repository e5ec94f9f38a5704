import XCTest
@testable import MemprofAnalysis

/// Go's regexp and our `GoRegex` on the same patterns and texts. The table was written by Go
/// itself (`regexp.Compile` and `MatchString`, Go 1.19, the go tool pprof of CI): which texts
/// each pattern matches, or Go's refusal. Patterns are those where RE2 and Swift's regex syntax
/// read the same text differently, and the escapes and groups Go does not support.
final class GoRegexTests: XCTestCase {
    enum Expected {
        case matches([Int])
        case refused(String)
    }

    static let texts = ["main.héllo世界", "main.Val.Do", "a{,3}", "a&b", "x-y", "tab\there", "v\u{0B}t", "main.(*T).Get",
                        "runtime.mallocgc", "_Z3fooi", "[lib].so", "a]b", #"C:\path"#, "αβγ", "x_y9", "a.b", "$s4main3FooC"]

    static let table: [(String, Expected)] = [
        (#"h\wllo"#, .matches([])),
        (#"\bDo\b"#, .matches([1])),
        (#"\bh"#, .matches([0, 5])),
        (#"h[[:alpha:]]llo"#, .matches([])),
        (#"[[:^alpha:]]llo"#, .matches([0])),
        (#"a{,3}"#, .matches([2])),
        (#"a{1,3}"#, .matches([0, 1, 2, 3, 5, 7, 8, 11, 12, 15, 16])),
        (#"[a-z&&[^b]]"#, .matches([10, 11])),
        (#"\pL+世界"#, .matches([0])),
        (#"\p{Greek}+"#, .matches([13])),
        (#"\PL"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16])),
        (#"a++"#, .refused(#"error parsing regexp: invalid nested repetition operator: `++`"#)),
        (#"a**"#, .refused(#"error parsing regexp: invalid nested repetition operator: `**`"#)),
        (#"a*?"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"a*?+"#, .refused(#"error parsing regexp: invalid nested repetition operator: `*?+`"#)),
        (#"(?=x)"#, .refused(#"error parsing regexp: invalid or unsupported Perl syntax: `(?=`"#)),
        (#"(?!x)"#, .refused(#"error parsing regexp: invalid or unsupported Perl syntax: `(?!`"#)),
        (#"(?<n>main)"#, .refused(#"error parsing regexp: invalid or unsupported Perl syntax: `(?<`"#)),
        (#"(?P<n>main)"#, .matches([0, 1, 7, 16])),
        (#"(?i)MAIN"#, .matches([0, 1, 7, 16])),
        (#"(?i-s:MAIN)"#, .matches([0, 1, 7, 16])),
        (#"(?x)a"#, .refused(#"error parsing regexp: invalid or unsupported Perl syntax: `(?x`"#)),
        (#"(?)"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"(?i-)a"#, .refused(#"error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"#)),
        (#"\Z"#, .refused(#"error parsing regexp: invalid escape sequence: `\Z`"#)),
        (#"\X"#, .refused(#"error parsing regexp: invalid escape sequence: `\X`"#)),
        (#"\R"#, .refused(#"error parsing regexp: invalid escape sequence: `\R`"#)),
        (#"\h"#, .refused(#"error parsing regexp: invalid escape sequence: `\h`"#)),
        (#"\G"#, .refused(#"error parsing regexp: invalid escape sequence: `\G`"#)),
        (#"\e"#, .refused(#"error parsing regexp: invalid escape sequence: `\e`"#)),
        (#"\o{12}"#, .refused(#"error parsing regexp: invalid escape sequence: `\o`"#)),
        (#"\u00e9"#, .refused(#"error parsing regexp: invalid escape sequence: `\u`"#)),
        (#"\1"#, .refused(#"error parsing regexp: invalid escape sequence: `\1`"#)),
        (#"\12"#, .matches([])),
        (#"\0"#, .matches([])),
        (#"\x41"#, .matches([])),
        (#"\x{3b1}"#, .matches([13])),
        (#"\x4"#, .refused(#"error parsing regexp: invalid escape sequence: `\x4`"#)),
        (#"\Qa.b\E"#, .matches([15])),
        (#"\Q[lib]\E"#, .matches([10])),
        (#"\E"#, .refused(#"error parsing regexp: invalid escape sequence: `\E`"#)),
        (#"\d+"#, .matches([2, 9, 14, 16])),
        (#"\s"#, .matches([5])),
        (#"\v"#, .matches([6])),
        (#"[\d]"#, .matches([2, 9, 14, 16])),
        (#"[\w-]"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16])),
        (#"[\s]"#, .matches([5])),
        (#"[]a]"#, .matches([0, 1, 2, 3, 5, 7, 8, 10, 11, 12, 15, 16])),
        (#"[^]a]"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"[a-]"#, .matches([0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 15, 16])),
        (#"[-a]"#, .matches([0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 15, 16])),
        (#"[a--]"#, .refused(#"error parsing regexp: invalid character class range: `a--`"#)),
        (#"[a~~b]"#, .matches([0, 1, 2, 3, 5, 7, 8, 10, 11, 12, 15, 16])),
        (#"[[]"#, .matches([10])),
        (#"[a"#, .refused(#"error parsing regexp: missing closing ]: `[a`"#)),
        (#"a{1001}"#, .refused(#"error parsing regexp: invalid repeat count: `{1001}`"#)),
        (#"a{2,1}"#, .refused(#"error parsing regexp: invalid repeat count: `{2,1}`"#)),
        (#"x{y}"#, .matches([])),
        (#"a{1"#, .matches([])),
        (#"*a"#, .refused(#"error parsing regexp: missing argument to repetition operator: `*`"#)),
        (#"a|*"#, .refused(#"error parsing regexp: missing argument to repetition operator: `*`"#)),
        (#"(*)"#, .refused(#"error parsing regexp: missing argument to repetition operator: `*`"#)),
        (#"a)"#, .refused(#"error parsing regexp: unexpected ): `a)`"#)),
        (#"(a"#, .refused(#"error parsing regexp: missing closing ): `(a`"#)),
        (#"\.Do$"#, .matches([1])),
        (#"^main\."#, .matches([0, 1, 7])),
        (#"\$s4"#, .matches([16])),
        (#"C:\\"#, .matches([12])),
        (#"\_"#, .matches([9, 14])),
        (##"\#"##, .matches([])),
        (##"a\"##, .refused(#"error parsing regexp: trailing backslash at end of expression: ``"#)),
        (#"[\pL]"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"[\x{3b1}-\x{3b3}]+"#, .matches([13])),
        (#"[[:word:]]+"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16])),
        (#"[[:foo:]]"#, .refused(#"error parsing regexp: invalid character class range: `[:foo:]`"#)),
        (#"\C"#, .refused(#"error parsing regexp: invalid escape sequence: `\C`"#)),
        (#".*\(\*T\)"#, .matches([7])),
        (#"a{0}b"#, .matches([3, 5, 10, 11, 15])),
        (#"^*"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"(?i)[A-Z]LLO"#, .matches([8])),
        (#"(?U)a+"#, .matches([0, 1, 2, 3, 5, 7, 8, 11, 12, 15, 16])),
        (#"\B"#, .matches([0, 1, 2, 5, 7, 8, 9, 10, 12, 13, 14, 16])),
        (#"[^\x00-\x{10FFFF}]"#, .matches([])),
        (#"x*+"#, .refused(#"error parsing regexp: invalid nested repetition operator: `*+`"#)),
        (#"\Qa\E*"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"(?s:.)"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"a{,}"#, .matches([])),
        (#"\z"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"\A"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
        (#"\pN"#, .matches([2, 9, 14, 16])),
        (#"\p{Nd}"#, .matches([2, 9, 14, 16])),
        (#"[\P{L}]"#, .matches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16])),
    ]

    func testMatchesAsGoDoes() throws {
        var disagreements: [String] = []
        for (pattern, expected) in Self.table {
            switch expected {
            case .matches(let indices):
                let rx: GoRegex
                do { rx = try GoRegex(pattern, option: "focus") } catch {
                    disagreements.append("\(pattern): refused (\(error)), Go compiles it")
                    continue
                }
                let ours = Self.texts.indices.filter { rx.matches(Self.texts[$0]) }
                if ours != indices { disagreements.append("\(pattern): matches \(ours), Go \(indices)") }
            case .refused(let message):
                do {
                    _ = try GoRegex(pattern, option: "focus")
                    disagreements.append("\(pattern): compiled, Go refuses it (\(message))")
                } catch let error as AnalysisError {
                    // Go's message where we give it; Swift's own for what only its parser finds.
                    if case .badRegex(_, _, let reason) = error, reason.hasPrefix("error parsing regexp: "), reason != message {
                        disagreements.append("\(pattern): \(reason), Go: \(message)")
                    }
                }
            }
        }
        XCTAssertEqual(disagreements, [])
        XCTAssertGreaterThan(Self.table.count, 80)
    }

    /// The whole message, as pprof prints it for a flag.
    func testRefusalNamesTheOptionAndTheFault() {
        XCTAssertThrowsError(try GoRegex(#"a\Z"#, option: "focus")) { error in
            XCTAssertEqual("\(error)", "parsing focus regexp: error parsing regexp: invalid escape sequence: `\\Z`")
        }
    }
}
