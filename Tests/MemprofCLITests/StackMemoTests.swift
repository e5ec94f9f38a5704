import Foundation
import MemprofProfile
import XCTest

/// A sample's walk stops at the first frame it shares with the thread's last walk and takes
/// the callers from it, after checking the stack words beyond (stack_memo.h). The probe
/// (Support/memo_probe.c) makes every case where trusting the shared frame alone would be
/// wrong: the same leaf frame under two callers in turn, frames whose size changes, recursion
/// of changing depth, a signal handler, threads, a fiber on a stack of its own (its walk
/// ends at its first frame) between samples of one place. At rate 1 every allocation is a sample, so
/// the profile with the memo must equal, stack for stack, the one where every walk is whole
/// (MEMPROF_STACK_MEMO=0), and both must give each caller its own count.
final class StackMemoTests: XCTestCase {
    func testStacksTakenFromTheLastWalkEqualWholeWalks() throws {
        let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
        let exe = scratch.appendingPathComponent("memo_probe").path
        let build = try runProgram(cc, ["-O2", "-g", "-fomit-frame-pointer", "-o", exe, "-pthread",
                                        packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/memo_probe.c").path])
        XCTAssertEqual(build.status, 0, build.stderr)

        func stacks(memo: Bool) throws -> [String: Int64] {
            let out = scratch.appendingPathComponent("memo-\(memo)-\(UUID().uuidString).pb.gz").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--", exe],
                                   environment: memo ? [:] : ["MEMPROF_STACK_MEMO": "0"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "via_a=400 via_b=800 vla=300 recurse=1200 handler=100 signal_loop=100 fiber=100\n")
            let sampled = SampledStacks(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))))
            // Stacks by their frames (thread, lifetime and size labels set aside; a frame
            // without a symbol, the signal trampoline, by its place only: the two runs load
            // libc at different addresses).
            var counts: [String: Int64] = [:]
            for s in sampled.stacks where s.frames.contains(where: { $0.contains("leaf") || $0 == "fiber_site" }) {
                let frames = s.frames.map { $0.hasPrefix("0x") ? "(no symbol)" : $0 }
                counts[frames.joined(separator: " < "), default: 0] += s.allocations
            }
            return counts
        }

        let whole = try stacks(memo: false)
        let memo = try stacks(memo: true)
        XCTAssertEqual(memo, whole, "the same stacks, each as often")

        func count(_ counts: [String: Int64], _ patterns: [String]) -> Int64 {
            counts.filter { entry in
                let frames = entry.key.components(separatedBy: " < ")
                var i = 0
                for f in frames where i < patterns.count && f == patterns[i] { i += 1 }
                return i == patterns.count
            }.values.reduce(0, +)
        }
        for counts in [whole, memo] {
            XCTAssertEqual(count(counts, ["shared_leaf", "via_a", "alternate"]), 400)
            XCTAssertEqual(count(counts, ["shared_leaf", "via_b", "alternate"]), 800)
            XCTAssertEqual(count(counts, ["vla_leaf", "vla_frame", "vla_loop", "main"]), 300)
            XCTAssertEqual(count(counts, ["shared_leaf", "signal_loop", "main"]), 100)
            XCTAssertEqual(count(counts, ["fiber_site", "fiber_loop", "main"]), 100)
            XCTAssertEqual(count(counts, ["fiber_leaf"]), 100)
            // (on_signal tail-calls handler_leaf: its frame is gone.)
            XCTAssertEqual(count(counts, ["handler_leaf", "raise", "signal_loop", "main"]), 100)
            // Recursion: depth d has d + 1 frames of recurse, 1 + 3 threads x 60 calls each.
            for depth in 0..<5 {
                let exact = counts.filter { entry in
                    let frames = entry.key.components(separatedBy: " < ")
                    return frames.first == "deep_leaf" && frames.filter { $0 == "recurse" }.count == depth + 1
                }.values.reduce(0, +)
                XCTAssertEqual(exact, 240, "recursion depth \(depth)")
            }
        }
    }

    /// The join of a walk with the memo (Support/memo_join_probe.c, linked with the hook's
    /// sources): the frame where they meet keeps where the new walk's step read rbp, and the
    /// next check reads that word. (With the old walk's "no read" kept, a changed saved rbp
    /// went unseen: callers that are no longer there could be taken from the memo.)
    func testTheMeetingFrameKeepsTheNewWalksRbpRead() throws {
        let hook = packageRoot.appendingPathComponent("Sources/CMemprofHook")
        let sources = try FileManager.default.contentsOfDirectory(atPath: hook.path)
            .filter { $0.hasSuffix(".c") }.sorted().map { hook.appendingPathComponent($0).path }
        let exe = scratch.appendingPathComponent("memo_join_probe").path
        let build = try runProgram("/opt/swift/usr/bin/clang", [
            "-O2", "-std=gnu11", "-I", hook.appendingPathComponent("include").path, "-I", hook.path, "-o", exe,
            packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/memo_join_probe.c").path,
        ] + sources + ["-lpthread", "-ldl"])
        XCTAssertEqual(build.status, 0, build.stderr)
        let r = try runProgram(exe, [])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "ok\n")
    }
}
