import Foundation
import MemprofProfile
import XCTest

/// Every sampled block is in the profile however many are live: the live table grows
/// (it had a fixed 2^21 slots, filled at 75%, and lost samples silently beyond 1,572,864).
/// At rate 1 every allocation is sampled with weight 1, so the profile's inuse_objects must
/// equal the exact live count of the summary.
final class LiveScaleTests: XCTestCase {
    private func check(liveBlocks: Int) throws {
        let out = scratch.appendingPathComponent("keep-\(liveBlocks).pb.gz").path
        let json = scratch.appendingPathComponent("keep-\(liveBlocks).json").path
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: json)
        }
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--summary-json", json, "--",
                                                    product("memprof-workload"), "keep", String(liveBlocks)],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy], timeout: 600)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let profile = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        XCTAssertEqual(Array(profile.sampleTypes.map(\.type).prefix(4)), ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"])
        let inuseObjects = profile.samples.reduce(Int64(0)) { $0 + $1.values[2] }
        let inuseBytes = profile.samples.reduce(Int64(0)) { $0 + $1.values[3] }
        XCTAssertGreaterThan(uint(summary["live_objects"]), UInt64(liveBlocks))
        XCTAssertEqual(UInt64(inuseObjects), uint(summary["live_objects"]), "inuse_objects against the exact live count")
        XCTAssertEqual(UInt64(inuseBytes), uint(summary["live_bytes"]), "inuse_space against the exact live bytes")
        XCTAssertFalse(r.stderr.contains("dropped"), r.stderr)
    }

    func testThreeMillionLiveBlocksAtRateOne() throws { try check(liveBlocks: 3_000_000) }

    func testTenMillionLiveBlocksAtRateOne() throws { try check(liveBlocks: 10_000_000) }
}
