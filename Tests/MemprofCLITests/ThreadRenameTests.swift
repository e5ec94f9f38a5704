import Foundation
import MemprofProfile
import XCTest

/// The `thread` label follows a thread that names itself after it started allocating: the
/// name is looked at again every 256 samples (and read when 10 ms have passed since the last
/// read), so a renamed thread's later blocks carry its new name.
final class ThreadRenameTests: XCTestCase {
    func testRenamedThreadsLaterSamplesCarryItsNewName() throws {
        let dir = scratch.appendingPathComponent("renamed-thread")
        let program = buildHookProbe("renamed_thread", in: dir).plain
        let out = dir.appendingPathComponent("renamed-\(UUID().uuidString).pb.gz").path
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--", program],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        let objects = try XCTUnwrap(p.sampleTypes.firstIndex { $0.type == "alloc_objects" })
        var byThread: [String: Int64] = [:]
        for s in p.samples {
            for label in s.labels["thread"] ?? [] { byThread[label, default: 0] += s.values[objects] }
        }
        // 3000 blocks before the rename (with the thread's first calls, made before it has a
        // slot), 3000 after it, of which at most the first 256 may still carry the old label.
        let renamed = byThread["renamed-worker"] ?? 0
        let unnamed = byThread.filter { $0.key.hasPrefix("tid-") }.values.reduce(0, +)
        XCTAssertGreaterThanOrEqual(renamed, 3000 - 256, "\(byThread)")
        XCTAssertLessThanOrEqual(renamed, 3000, "\(byThread)")
        XCTAssertGreaterThanOrEqual(unnamed, 3000, "\(byThread)")
    }
}
