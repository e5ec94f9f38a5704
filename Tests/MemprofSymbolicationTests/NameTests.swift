import Foundation
import MemprofSymbolication
import XCTest

/// Demangling (compared with the toolchain's swift-demangle) and simplified display names.
final class NameTests: XCTestCase {
    func testDemanglingMatchesSwiftDemangleForEverySwiftSymbolOfTheWorkload() throws {
        let binary = try TestSupport.workloadBinary("swift-dwarf4")
        let listing = try TestSupport.run(TestSupport.toolchainBin + "/llvm-nm", ["--defined-only", "-j", binary])
        let names = Array(Set(listing.split(separator: "\n").map(String.init).filter(Demangler.isSwiftMangled))).sorted()
        XCTAssertGreaterThan(names.count, 200)
        let expected = try TestSupport.run(TestSupport.toolchainBin + "/swift-demangle", [],
                                           input: names.joined(separator: "\n") + "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var agree = 0
        var differences: [String] = []
        for (i, name) in names.enumerated() {
            let mine = Demangler.demangle(name)
            if i < expected.count && mine == expected[i] {
                agree += 1
            } else if differences.count < 5 {
                differences.append("\(name)\n  mine:  \(mine)\n  tool:  \(i < expected.count ? expected[i] : "-")")
            }
        }
        let rate = Double(agree) / Double(names.count) * 100
        print(String(format: "[names] swift_demangle + sugar agrees with swift-demangle on %d/%d symbols (%.2f%%)",
                     agree, names.count, rate))
        if !differences.isEmpty { print(differences.joined(separator: "\n")) }
        XCTAssertGreaterThanOrEqual(rate, 99.0)
    }

    func testCxxAndPlainNames() {
        XCTAssertEqual(Demangler.demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"), "std::vector<int, std::allocator<int> >::push_back(int const&)")
        XCTAssertEqual(Demangler.demangle("malloc"), "malloc")
        XCTAssertEqual(Demangler.demangle("$sNotReallyMangled"), "$sNotReallyMangled")
        XCTAssertEqual(Demangler.demangle("_Zgarbage"), "_Zgarbage")
        // Non-Swift names are never "simplified": `.cold` is a GCC suffix, not a module.
        XCTAssertEqual(Demangler.simplified("foo.cold", mangledName: "foo.cold"), "foo.cold")
        XCTAssertEqual(Demangler.simplified("std::vector<int>::size() const", mangledName: "_ZNKSt6vectorIiE4sizeEv"),
                       "std::vector<int>::size() const")
    }

    func testSugarForArraysDictionariesAndOptionals() {
        XCTAssertEqual(Demangler.demangle("$s8Workload10makeShapesySayAA5Shape_pGSiF"),
                       "Workload.makeShapes(Swift.Int) -> [Workload.Shape]")
        // Names and expected texts as the toolchain's swift-demangle prints them.
        XCTAssertEqual(Demangler.demangle("$s1t1fyySDySSSaySiGGSgF"), "t.f([Swift.String : [Swift.Int]]?) -> ()")
        XCTAssertEqual(Demangler.demangle("$s1t1gyySiycSgF"), "t.g((() -> Swift.Int)?) -> ()")
    }

    func testSimplifiedNames() {
        let cases: [(String, String)] = [
            ("Swift.Array<Swift.Int>", "Array<Int>"),
            ("Workload.makeShapes(Swift.Int) -> [Workload.Shape]", "makeShapes(Int) -> [Shape]"),
            ("generic specialization <Swift.String> of Swift.Array.append(__owned A) -> ()",
             "specialized Array.append(__owned A) -> ()"),
            ("generic specialization <serialized, Swift.Array<(Swift.Int) -> Swift.Int>> of Swift.Sequence.map<A>((A.Element) throws(B) -> A1) throws(B) -> [A1]",
             "specialized Sequence.map<A>((A.Element) throws(B) -> A1) throws(B) -> [A1]"),
            ("function signature specialization <Arg[0] = Stack Promoted from Box> of term #1 () -> Swift.Int in Workload.evaluate([Workload.Token]) -> Swift.Int",
             "specialized term #1 () -> Int in evaluate([Token]) -> Int"),
            ("closure #1 (Swift.Int) -> Swift.Int in Workload.work(Swift.Int) -> [Swift.Int]",
             "closure #1 in work(Int) -> [Int]"),
            ("implicit closure #2 () throws -> Swift.String in Workload.Foo.bar(Swift.Dictionary<Swift.String, Swift.Int>) -> ()",
             "implicit closure #2 in Foo.bar(Dictionary<String, Int>) -> ()"),
            ("Workload.(Helper in _6E0123D71D42C918C39F1AB00B08422C).go() -> ()", "Helper.go() -> ()"),
            ("partial apply forwarder for Workload.foo() -> ()", "partial apply for foo() -> ()"),
            ("protocol witness for Swift.Sequence.makeIterator() -> A.Iterator in conformance Workload.Bag : Swift.Sequence in Workload",
             "protocol witness for Sequence.makeIterator() -> A.Iterator in conformance Bag : Sequence in Workload"),
            ("Swift.Collection.first.getter : Self.Element?", "Collection.first.getter : Self.Element?"),
            ("(extension in Workload):[A where A: Swift.Comparable].insertionSorted() -> [A]",
             "(extension in Workload):[A where A: Comparable].insertionSorted() -> [A]"),
            ("__C.NSObject.init() -> __C.NSObject", "NSObject.init() -> NSObject"),
            ("main", "main"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(SwiftNameSimplifier.simplify(input), expected, input)
        }
    }

    func testFullAndSimplifiedFromARealSymbol() {
        let frame = SymbolizedFrame(function: Demangler.demangle("$sSa6appendyyxnFSS_Tg5"), mangledName: "$sSa6appendyyxnFSS_Tg5")
        XCTAssertEqual(frame.function, "generic specialization <Swift.String> of Swift.Array.append(__owned A) -> ()")
        XCTAssertEqual(frame.simplifiedFunction, "specialized Array.append(__owned A) -> ()")
    }
}
