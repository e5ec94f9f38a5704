import Foundation
import XCTest
@testable import MemprofAnalysis

/// GoRegex against Go's regexp on random patterns made of the pieces where the two syntaxes
/// differ (GoPrograms/re2_cases.go writes the cases): the same patterns refused, with Go's
/// message where we give one, and the same texts matched by the others.
/// `MEMPROF_REGEX_CASES=N` runs more than the default 20,000.
final class RegexDifferentialTests: XCTestCase {
    /// The texts of re2_cases.go, in its order.
    static let texts = ["main.héllo世界", "main.Val.Do", "a{,3}", "a&b", "x-y", "tab\there", "v\u{0B}t", "main.(*T).Get",
                        "runtime.mallocgc", "_Z3fooi", "[lib].so", "a]b", #"C:\path"#, "αβγ", "x_y9", "a.b",
                        "$s4main3FooC", "", "aaa", "Ab1-:", "line1\nline2", "Ωmega", "a\tb\u{0B}"]

    func testRandomPatternsAsGoReadsThem() throws {
        try XCTSkipUnless(GoPprof.isAvailable, "needs go (apt-get install golang-go)")
        let count = Int(ProcessInfo.processInfo.environment["MEMPROF_REGEX_CASES"] ?? "") ?? 20_000
        let program = TestPaths.testsDir.appendingPathComponent("GoPrograms/re2_cases.go")
        let output = try GoPprof.run(["run", program.path, String(count), "1"], tool: [])
        var disagreements: [String] = [], cases = 0, refused = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else { return XCTFail("bad line from re2_cases.go: \(line)") }
            let pattern = Self.unhex(fields[0])
            cases += 1
            // Go 1.19 factors a common literal prefix out of alternatives even when only one
            // folds case: `A\p{^L}0|(?i)A` never matches "aaa" there. Not a meaning to copy.
            if pattern.contains("|") && pattern.contains("(?i)") { continue }
            let ours: String
            do {
                let rx = try GoRegex(pattern, option: "focus")
                ours = "OK\t" + Self.texts.indices.filter { rx.matches(Self.texts[$0]) }.map(String.init).joined(separator: ",")
            } catch AnalysisError.badRegex(_, _, let reason) {
                // Swift's parser refuses some patterns Go refuses too, in its own words.
                ours = reason.hasPrefix("error parsing regexp: ") ? "ERR\t" + reason : "ERR\t(swift) " + reason
            }
            let go = fields[1] + "\t" + fields[2]
            if fields[1] == "ERR" { refused += 1 }
            let agree = ours == go || (fields[1] == "ERR" && ours.hasPrefix("ERR\t(swift) "))
            if !agree && disagreements.count < 20 { disagreements.append("\(pattern.debugDescription): ours \(ours), Go \(go)") }
        }
        XCTAssertEqual(cases, count)
        XCTAssertGreaterThan(refused, count / 10)  // both kinds of case are there
        XCTAssertLessThan(refused, count * 9 / 10)
        XCTAssertEqual(disagreements, [])
    }

    static func unhex(_ hex: Substring) -> String {
        var bytes: [UInt8] = []
        var digits = hex.makeIterator()
        while let a = digits.next(), let b = digits.next() { bytes.append(UInt8(String([a, b]), radix: 16) ?? 0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
