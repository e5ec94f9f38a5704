import Foundation
import XCTest

/// The peak of live heap bytes is exact for a single-threaded program, whatever path the
/// allocations take (the fast path, which looks at the peak only through the slot's
/// `flush_at`; the slow path of mmapped blocks; sampled allocations), preloaded or linked, at
/// any rate. Support/peak_probe.c computes the level itself with malloc_usable_size.
final class PeakExactnessTests: XCTestCase {
    private static let binaries = buildHookProbe("peak_probe", in: scratch.appendingPathComponent("peak-probe"))

    /// Every climb's peak equals the level the probe computed.
    private func assertExact(_ output: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("climb ") }
        XCTAssertEqual(lines.count, 8, "\(what): \(output)", file: file, line: line)
        for l in lines {
            let words = l.split(separator: " ")
            guard words.count == 6 else { return XCTFail("\(what): \(l)", file: file, line: line) }
            XCTAssertEqual(words[3], words[5], "\(what): \(l)", file: file, line: line)
            XCTAssertGreaterThan(Int(words[3]) ?? 0, 500_000, "\(what): \(l)", file: file, line: line)
        }
    }

    func testPeakIsExactPreloadedAtEveryRate() throws {
        for rate in ["0", "524288", "4096", "1"] {
            let r = try runProgram(Self.binaries.plain, [], environment: ["LD_PRELOAD": hookCopy, "MEMPROF_RATE": rate])
            XCTAssertEqual(r.status, 0, r.stderr)
            assertExact(r.stdout, "LD_PRELOAD, MEMPROF_RATE=\(rate)")
        }
    }

    func testPeakIsExactLinkedAtEveryRate() throws {
        for rate in ["0", "524288", "1"] {
            let r = try runProgram(Self.binaries.linked, [], environment: ["MEMPROF_RATE": rate])
            XCTAssertEqual(r.status, 0, r.stderr)
            assertExact(r.stdout, "linked, MEMPROF_RATE=\(rate)")
        }
    }
}
