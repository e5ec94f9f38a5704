import Foundation
import XCTest

/// The peak of live heap bytes is exact for a single-threaded program, whatever path the
/// allocations take (the fast path, which looks at the peak only through the slot's
/// `flush_at`; the slow path of mmapped blocks; sampled allocations), preloaded or linked, at
/// any rate. Support/peak_probe.c computes the level itself with malloc_usable_size.
final class PeakExactnessTests: XCTestCase {
    private static let dir: URL = {
        let d = scratch.appendingPathComponent("peak-probe")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()
    private static let clang = "/opt/swift/usr/bin/clang"

    private static let binaries: (plain: String, linked: String) = {
        let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/peak_probe.c").path
        let hook = packageRoot.appendingPathComponent("Sources/CMemprofHook")
        let include = hook.appendingPathComponent("include").path
        let plain = dir.appendingPathComponent("probe").path
        let linked = dir.appendingPathComponent("probe-linked").path
        let hookSources = (try! FileManager.default.contentsOfDirectory(atPath: hook.path))
            .filter { $0.hasSuffix(".c") }.sorted().map { hook.appendingPathComponent($0).path }
        let r1 = try? runProgram(clang, ["-O2", "-I", include, "-o", plain, source])
        precondition(r1?.status == 0, "cannot build the peak probe: \(r1?.stderr ?? "")")
        let r2 = try? runProgram(clang, ["-O2", "-std=gnu11", "-I", include, "-I", hook.path, "-o", linked, source]
                                 + hookSources + ["-lpthread", "-ldl"])
        precondition(r2?.status == 0, "cannot build the linked peak probe: \(r2?.stderr ?? "")")
        return (plain, linked)
    }()

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
