import Foundation
import XCTest

/// `memprof run` counts the same allocation calls as heaptrack on the same programs.
/// (heaptrack does not intercept memalign and pvalloc, so the c-calls pattern, which calls
/// each entry point once, is compared with the independent counter instead.)
final class HeaptrackAgreementTests: XCTestCase {
    private func heaptrackCalls(_ arguments: [String]) throws -> UInt64 {
        let out = scratch.appendingPathComponent("ht-\(UUID().uuidString)").path
        defer {
            for ext in [".zst", ".gz"] { try? FileManager.default.removeItem(atPath: out + ext) }
        }
        let run = try runProgram("/usr/bin/heaptrack", ["-o", out] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = FileManager.default.fileExists(atPath: out + ".zst") ? out + ".zst" : out + ".gz"
        let printed = try runProgram("/usr/bin/heaptrack_print", [file])
        guard let line = printed.stdout.split(separator: "\n").first(where: { $0.hasPrefix("calls to allocation functions:") }),
              let n = line.split(separator: " ").dropFirst(4).first.flatMap({ UInt64($0) }) else {
            XCTFail("no allocation count in heaptrack_print's output: \(printed.stdout.prefix(500))")
            return 0
        }
        return n
    }

    func testAllocationCallsAgreeWithHeaptrack() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/heaptrack"), ".ci/run installs heaptrack")
        let workload = product("memprof-workload")
        for (args, tolerance) in [(["none"], 0.0), (["churn", "20000"], 0.0), (["seed"], 0.0), (["threads", "20000"], 3.0)] {
            let ours = uint(try memprofRun([workload] + args).0["allocations"])
            let theirs = try heaptrackCalls([workload] + args)
            // Threads: glibc's TLS vectors depend on thread timing (see RunProfileTests).
            XCTAssertEqual(Double(ours), Double(theirs), accuracy: tolerance, "allocations of \(args)")
        }
    }
}
