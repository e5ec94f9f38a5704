import Foundation
import XCTest

/// The hook must not change what it measures: whatever a program sees of glibc's allocator
/// (usable sizes, which blocks are mmapped, mallinfo2, what malloc_trim gives back, the
/// heap's resident size after frees) is the same with and without it, preloaded or linked,
/// at any sampling rate. Support/glibc_probe.c prints all of it; every hooked run must print
/// exactly what the plain run printed.
final class GlibcInvisibilityTests: XCTestCase {
    private static let dir: URL = {
        let d = scratch.appendingPathComponent("glibc-probe")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    /// The probe alone, and the probe linked with the hook's C sources (as a program that
    /// links the hook gets it).
    private static let binaries = buildHookProbe("glibc_probe", in: dir)

    private func plainOutput() throws -> String {
        let first = try runProgram(Self.binaries.plain, []).stdout
        // The comparison means something only if the probe is deterministic.
        XCTAssertEqual(first, try runProgram(Self.binaries.plain, []).stdout, "two plain runs differ")
        XCTAssertTrue(first.contains("round 0: usable"), first)
        XCTAssertTrue(first.contains("trimmed: heap rss"), first)
        return first
    }

    private func assertSame(_ expected: String, _ actual: String, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        if expected == actual { return }
        let e = expected.split(separator: "\n"), a = actual.split(separator: "\n")
        let first = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
        let plainLine = first < e.count ? String(e[first]) : "(end)"
        let hookedLine = first < a.count ? String(a[first]) : "(end)"
        XCTFail("\(what): glibc's view differs at line \(first + 1)\n plain:  \(plainLine)\n hooked: \(hookedLine)",
                file: file, line: line)
    }

    func testPreloadedHookLeavesGlibcUnchangedAtEveryRate() throws {
        let plain = try plainOutput()
        for rate in ["0", "524288", "4096", "1"] {
            let hooked = try runProgram(Self.binaries.plain, [], environment: ["LD_PRELOAD": hookCopy, "MEMPROF_RATE": rate])
            XCTAssertEqual(hooked.status, 0, hooked.stderr)
            assertSame(plain, hooked.stdout, "LD_PRELOAD, MEMPROF_RATE=\(rate)")
        }
    }

    func testLinkedHookLeavesGlibcUnchangedAtEveryRate() throws {
        let plain = try plainOutput()
        for rate in ["0", "524288", "1"] {
            let hooked = try runProgram(Self.binaries.linked, [], environment: ["MEMPROF_RATE": rate])
            XCTAssertEqual(hooked.status, 0, hooked.stderr)
            assertSame(plain, hooked.stdout, "linked, MEMPROF_RATE=\(rate)")
        }
    }

    /// The profiler's own work in a linked program frees buffers of megabytes (the bucket copy,
    /// the debug=1 text): glibc's free of such an mmapped block would raise its dynamic mmap
    /// threshold for the whole program, so that its later blocks of 128 KiB to a few MiB came
    /// from an arena and stayed resident once freed. They must not move it; the program's own
    /// free of a large block still does, as without the hook.
    func testProfilerWorkLeavesTheMmapThresholdAlone() throws {
        let r = try runProgram(product("memprof-workload-linked"), ["thresholds"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(json["start"] as? Bool, true, r.stdout)
        XCTAssertEqual(json["after_own_frees"] as? Bool, true, "own frees moved the threshold: \(r.stdout)")
        XCTAssertEqual(json["after_profile_builds"] as? Bool, true, "profile builds moved the threshold: \(r.stdout)")
        XCTAssertEqual(json["after_program_free"] as? Bool, false, "the program's free must move it: \(r.stdout)")
        // The builds were big enough to have moved it: buffers of megabytes.
        XCTAssertGreaterThan(json["text_bytes"] as? Int ?? 0, 1 << 20, r.stdout)
    }

    func testMemprofRunLeavesGlibcUnchanged() throws {
        let plain = try plainOutput()
        let profile = Self.dir.appendingPathComponent("probe.pb.gz").path
        for rate in ["524288", "1"] {
            let run = try runProgram(product("memprof"), ["run", "--rate", rate, "-o", profile, "--", Self.binaries.plain],
                                     environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
            XCTAssertEqual(run.status, 0, run.stderr)
            assertSame(plain, run.stdout, "memprof run --rate \(rate)")
        }
    }
}
