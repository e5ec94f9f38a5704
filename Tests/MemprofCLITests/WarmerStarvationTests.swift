import Foundation
import XCTest

/// `memprof run -o` symbolizes on a SCHED_IDLE thread while the program runs. When the
/// program has ended it must not wait on that thread if every core is busy with other work:
/// beside busy loops it waited 15 s after a 0.4 s program (release build), 41 s in this test.
/// As root the thread goes back to normal priority; without the right to raise it (an
/// unprivileged user, which the test also becomes with setpriv when run as root), a pass
/// that makes no progress is left behind and the main thread symbolizes the profile.
final class WarmerStarvationTests: XCTestCase {
    func testRunDoesNotWaitForAStarvedWarmer() throws {
        let dir = scratch.appendingPathComponent("starved-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        let workload = [product("memprof-workload"), "mt-churn", "1000000"]
        var users: [(name: String, prefix: [String])] = [("this user", [])]
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if getuid() == 0, let setpriv {
            users.append(("nobody", [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]))
        }
        // One busy loop more than there are cores: an idle-class thread gets next to nothing.
        var loops: [Process] = []
        defer {
            for loop in loops { loop.terminate(); loop.waitUntilExit() }
        }
        for _ in 0...ProcessInfo.processInfo.activeProcessorCount {
            let loop = Process()
            loop.executableURL = URL(fileURLWithPath: "/bin/sh")
            loop.arguments = ["-c", "while :; do :; done"]
            try loop.run()
            loops.append(loop)
        }
        // The program alone beside the same loops, to scale the bound to this machine.
        var start = Date()
        let plain = try runProgram(workload[0], Array(workload.dropFirst()), timeout: 120)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let plainSeconds = Date().timeIntervalSince(start)
        for (index, user) in users.enumerated() {
            let out = dir.appendingPathComponent("heap-\(index).pb.gz").path
            let command = user.prefix + [product("memprof"), "run", "-o", out, "--"] + workload
            start = Date()
            let r = try runProgram(command[0], Array(command.dropFirst()), timeout: 120)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertEqual(r.status, 0, "\(user.name): \(r.stderr)")
            XCTAssertLessThan(seconds, 3 * plainSeconds + 5,
                              "\(user.name): memprof run -o took \(seconds) s beside busy loops, the program alone \(plainSeconds) s")
            let top = try runProgram(product("memprof"), ["top", "-n", "5", "--alloc_space", out])
            XCTAssertEqual(top.status, 0, top.stderr)
            XCTAssertTrue(top.stdout.contains("threadedChurn"), "\(user.name): the profile is symbolized:\n\(top.stdout)")
        }
    }
}
