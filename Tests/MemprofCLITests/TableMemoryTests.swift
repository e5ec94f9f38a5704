import Foundation
import XCTest

/// The hook's own tables must not take a hole the program has just left (table_memory.h):
/// Support/hole_probe.c unmaps a region, allocates 50,000 blocks (every one sampled at rate
/// 1, so the live table grows and maps), then maps the same size again and fails (exit 3)
/// when the kernel no longer hands back the same range. Plain runs always get it back; with
/// tables mapped by mmap(NULL) the probe failed every time.
final class TableMemoryTests: XCTestCase {
    private static let binaries = buildHookProbe("hole_probe", in: scratch.appendingPathComponent("hole-probe"))

    func testPlainRunGetsTheSameRangeBack() throws {
        let r = try runProgram(Self.binaries.plain, [])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }

    func testPreloadedTablesLeaveTheHoleAlone() throws {
        for rate in ["1", "524288"] {
            let r = try runProgram(Self.binaries.plain, [], environment: ["LD_PRELOAD": hookCopy, "MEMPROF_RATE": rate])
            XCTAssertEqual(r.status, 0, "MEMPROF_RATE=\(rate): \(r.stdout) \(r.stderr)")
        }
    }

    func testLinkedTablesLeaveTheHoleAlone() throws {
        let r = try runProgram(Self.binaries.linked, [], environment: ["MEMPROF_RATE": "1"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }

    func testUnderMemprofRunTheHoleIsLeftAlone() throws {
        let out = scratch.appendingPathComponent("hole-\(UUID().uuidString).pb.gz").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--", Self.binaries.plain])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }
}
