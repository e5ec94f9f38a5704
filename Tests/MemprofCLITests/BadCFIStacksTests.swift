import Foundation
import MemprofProfile
import XCTest

/// Wrong or missing unwind information ends a stack where it is, cleanly: functions whose CFI
/// puts the CFA beyond the stack, at the stack pointer itself, at a misaligned address, or
/// relative to a garbage rbp, and one with no CFI at all and a garbage rbp, each call malloc
/// (Support/bad_cfi.c). The host runs to its end, every allocation is counted, each stack is
/// that one frame, and a function with correct CFI beside them still reaches main.
final class BadCFIStacksTests: XCTestCase {
    func testWrongUnwindInformationEndsTheStackCleanly() throws {
        let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
        let exe = scratch.appendingPathComponent("bad_cfi").path
        let build = try runProgram(cc, ["-O2", "-g", "-o", exe,
                                        packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/bad_cfi.c").path])
        XCTAssertEqual(build.status, 0, build.stderr)
        let out = scratch.appendingPathComponent("bad-cfi-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--", exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "calls=600\n")
        let s = SampledStacks(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))))
        for name in ["no_cfi", "huge_cfa", "low_cfa", "odd_cfa", "rbp_cfa"] {
            let mine = s.stacks.filter { $0.frames.contains(name) }
            XCTAssertEqual(mine.reduce(0) { $0 + $1.allocations }, 100, "\(name): every call sampled")
            for stack in mine { XCTAssertEqual(stack.frames, [name], "\(name): the stack ends at the frame whose CFI is wrong") }
        }
        XCTAssertEqual(s.matching(["good_cfi", "main"]).reduce(0) { $0 + $1.allocations }, 100, "correct CFI reaches main")
    }
}
