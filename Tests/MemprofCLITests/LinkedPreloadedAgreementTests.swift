import Foundation
import XCTest

/// The hook linked into a program and the hook preloaded into it count the same. The two
/// binaries differ in what they load at start-up (the linked one brings the Memprof
/// modules), so the comparison is of the difference between two sizes of the same
/// workload, which cancels start-up: it must be exact, and equal what the workload did.
final class LinkedPreloadedAgreementTests: XCTestCase {
    private func counts(_ command: [String], environment: [String: String] = [:]) throws -> (UInt64, UInt64, UInt64) {
        let json = scratch.appendingPathComponent("agree-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try runProgram(product("memprof"), ["run", "--summary-json", json, "--"] + command, environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        return (uint(s["allocations"]), uint(s["frees"]), uint(s["requested_bytes"]))
    }

    func testLinkedAndPreloadedCountTheSame() throws {
        // c-loop N: N times malloc, realloc, free; requested 32 + i%1000 + i%3000 bytes each.
        var expected: (UInt64, UInt64, UInt64) = (20_000, 20_000, 0)
        for i in 10_000..<20_000 { expected.2 += UInt64(32 + i % 1000 + i % 3000) }
        let plain = product("memprof-workload"), linked = product("memprof-workload-linked")
        let env = ["MEMPROF_WORKLOAD_PLAIN": "1"]
        let p1 = try counts([plain, "c-loop", "10000"], environment: env), p2 = try counts([plain, "c-loop", "20000"], environment: env)
        let l1 = try counts([linked, "c-loop", "10000"], environment: env), l2 = try counts([linked, "c-loop", "20000"], environment: env)
        for (name, a, b) in [("preloaded", p1, p2), ("linked", l1, l2)] {
            XCTAssertEqual(b.0 - a.0, expected.0, "\(name) allocations")
            XCTAssertEqual(b.1 - a.1, expected.1, "\(name) frees")
            XCTAssertEqual(b.2 - a.2, expected.2, "\(name) requested bytes")
        }
        // The seed program's ten buffers: identical whole-run deltas too.
        let ps = try counts([plain, "seed"], environment: env), pn = try counts([plain, "none"], environment: env)
        let ls = try counts([linked, "seed"], environment: env), ln = try counts([linked, "none"], environment: env)
        XCTAssertEqual(ps.0 - pn.0, ls.0 - ln.0)
        XCTAssertEqual(ps.2 - pn.2, ls.2 - ln.2)
    }
}
