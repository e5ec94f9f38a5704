import Foundation
import MemprofProfile
import XCTest

/// The sampler's bookkeeping at its edges (Support/sampling_edges.c), under `memprof run`:
/// a failed realloc, a process's first allocation, posix_memalign's errors.
final class SamplingEdgeTests: XCTestCase {
    private static let program = buildHookProbe("sampling_edges", in: scratch.appendingPathComponent("sampling-edges")).plain

    private func run(_ mode: String, rate: Int) throws -> (summary: [String: Any], profile: Profile) {
        let out = scratch.appendingPathComponent("edges-\(UUID().uuidString).pb.gz").path
        let json = scratch.appendingPathComponent("edges-\(UUID().uuidString).json").path
        let r = try runProgram(product("memprof"), ["run", "--rate", String(rate), "-o", out, "--summary-json", json, "--",
                                                    Self.program, mode],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        return (summary, try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))))
    }

    private func total(_ p: Profile, _ type: String) throws -> Int64 {
        let i = try XCTUnwrap(p.sampleTypes.firstIndex { $0.type == type })
        return p.samples.reduce(0) { $0 + $1.values[i] }
    }

    /// A block given to a realloc that fails is still live: at rate 1 the profile's live
    /// blocks are the summary's exact ones (it used to lose them all, counted as temporaries).
    func testFailedReallocKeepsTheBlockLive() throws {
        let (summary, p) = try run("realloc-fail", rate: 1)
        XCTAssertEqual(uint(summary["failed_allocations"]), 1000)
        XCTAssertEqual(try total(p, "inuse_objects"), Int64(uint(summary["live_objects"])))
        XCTAssertEqual(try total(p, "inuse_space"), Int64(uint(summary["live_bytes"])))
        XCTAssertEqual(try total(p, "alloc_objects"), Int64(uint(summary["allocations"])))
        XCTAssertEqual(try total(p, "temporary_objects"), 0)
    }

    /// With a rate of 1 GiB, a program of a few kilobytes is sampled with a chance of about
    /// 1e-5 a run; the first allocation of a process used to be sampled every time.
    func testFirstAllocationIsNotAlwaysSampled() throws {
        for _ in 0..<3 {
            let (_, p) = try run("one", rate: 1 << 30)
            XCTAssertEqual(try total(p, "alloc_objects"), 0, "\(p.samples.map(\.values))")
        }
    }

    /// posix_memalign's EINVAL is a failed call too, as is its ENOMEM.
    func testPosixMemalignErrorsCountAsFailed() throws {
        let (summary, _) = try run("einval", rate: 524_288)
        XCTAssertEqual(uint(summary["failed_allocations"]), 5)
    }
}
