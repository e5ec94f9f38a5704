import Foundation
import XCTest

/// The host program never crashes or hangs because of the hook: allocations before main,
/// signal handlers that allocate, threads coming and going — with sampling at every
/// allocation, where the hook does the most work.
final class HostRobustnessTests: XCTestCase {
    private static let host: String = {
        let exe = scratch.appendingPathComponent("hostile_host").path
        let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/hostile_host.c").path
        let r = try? runProgram("/opt/swift/usr/bin/clang", ["-O1", "-pthread", source, "-o", exe])
        precondition(r?.status == 0, "cannot build the host program: \(r?.stderr ?? "")")
        return exe
    }()

    func testAllocationsBeforeMainAreCounted() throws {
        let (summary, run) = try memprofRun([Self.host, "ctor"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let (allocs, frees, requested) = try independentCounts(Self.host, ["ctor"])
        XCTAssertEqual(uint(summary["allocations"]), allocs)
        XCTAssertEqual(uint(summary["frees"]), frees)
        XCTAssertEqual(uint(summary["requested_bytes"]), requested)
        XCTAssertGreaterThanOrEqual(allocs, 7)
    }

    func testSignalHandlersThatAllocateDoNotHang() throws {
        for rate in ["1", "4096"] {
            let out = scratch.appendingPathComponent("signals-\(UUID().uuidString).pb.gz").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try runProgram(product("memprof"), ["run", "-o", out, "--rate", rate, "--", Self.host, "signals"], timeout: 120)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("handled="), run.stdout)
        }
    }

    func testThreadsComingAndGoingWithSampling() throws {
        let out = scratch.appendingPathComponent("threads-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try runProgram(product("memprof"), ["run", "-o", out, "--rate", "1", "--", Self.host, "threads"], timeout: 120)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("done"))
        // 400 threads ran; their slots were reused, the totals are all there.
        let (allocs, _, _) = try independentCounts(Self.host, ["threads"])
        let (summary, _) = try memprofRun([Self.host, "threads"])
        XCTAssertEqual(Double(uint(summary["allocations"])), Double(allocs), accuracy: 3)
    }
}
