import Foundation
import XCTest

/// `memprof live`: frames of a program whose heap grows (memprof-workload grow: 1 MiB kept
/// every 2 ms), of a service over HTTP, and the keys on a terminal.
final class LiveTests: XCTestCase {
    /// "live heap 109.5 MiB" of each frame, in MiB.
    func liveHeaps(_ text: String) -> [Double] {
        text.matches(of: #/live heap ([0-9.]+) (KiB|MiB|GiB|B)/#).map { m in
            let v = Double(m.1)!
            switch m.2 { case "KiB": return v / 1024; case "GiB": return v * 1024; case "B": return v / 1_048_576; default: return v }
        }
    }

    /// --frames N --interval S: N plain frames while the heap grows; the program is then stopped.
    func testFramesOfAGrowingProgram() throws {
        let r = try CLI.memprof(["live", "--frames", "4", "--interval", "0.3", "--", product("memprof-workload"), "grow", "3000"],
                                timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "memprof live: ").count - 1, 4, r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "plain text: \(r.stdout)")
        let heaps = liveHeaps(r.stdout)
        XCTAssertEqual(heaps.count, 4, r.stdout)
        XCTAssertEqual(heaps, heaps.sorted(), "the live heap grows: \(heaps)")
        XCTAssertGreaterThan(heaps.last! - heaps.first!, 50, "at ~500 MiB/s, 0.9 s adds far more than 50 MiB: \(r.stdout)")
        for line in ["RSS ", "peak ", "allocating ", "top sites by inuse_space"] {
            XCTAssertTrue(r.stdout.contains(line), "\(line) missing: \(r.stdout)")
        }
        // The last frame: the workload's function on top, grown since the first frame.
        let last = try XCTUnwrap(r.stdout.components(separatedBy: "memprof live: ").last)
        let top = try XCTUnwrap(last.split(separator: "\n").first { $0.contains("Workloads.run") }, last)
        XCTAssertNotNil(top.firstMatch(of: #/ \+[0-9.]+ MiB  /#), "grown by MiB: \(top)")
        XCTAssertTrue(r.stderr.contains("stopping "), r.stderr)
    }

    /// Standard output not a terminal, no --frames: frames until the program ends by itself,
    /// whose exit status is memprof's; other sample types and sorting by growth.
    func testFramesUntilTheProgramEnds() throws {
        let r = try CLI.memprof(["live", "--interval", "0.2", "--sample-index", "inuse_objects", "--sort", "growth", "--",
                                 product("memprof-workload"), "grow", "300"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThanOrEqual(r.stdout.components(separatedBy: "memprof live: ").count - 1, 2, r.stdout)
        XCTAssertTrue(r.stdout.contains("top sites by inuse_objects, sorted by growth"), r.stdout)
        XCTAssertFalse(r.stderr.contains("stopping"), r.stderr)
        XCTAssertFalse(r.stdout.contains("keys:"), "no keys to press in plain frames: \(r.stdout)")
        // The last frame is the program's end: its final exact counters (300 MiB kept).
        let frames = r.stdout.components(separatedBy: "memprof live: ").dropFirst()
        XCTAssertTrue(frames.last!.split(separator: "\n").first!.hasSuffix("   exited"), r.stdout)
        XCTAssertEqual(frames.filter { $0.contains("   exited\n") }.count, 1, r.stdout)
        XCTAssertTrue(frames.last!.contains("RSS at the last reading "), r.stdout)
        let exitHeap = try XCTUnwrap(liveHeaps(frames.last!).first)
        XCTAssertGreaterThanOrEqual(exitHeap, 300, "the workload keeps 300 MiB to its end: \(frames.last!)")
        let failing = try CLI.memprof(["live", "--interval", "0.1", "--", "/bin/sh", "-c", "sleep 0.3; exit 7"])
        XCTAssertEqual(failing.status, 7, failing.stderr)
        // Shorter than the first interval: the exit frame alone.
        let short = try CLI.memprof(["live", "--interval", "5", "--", "/bin/sh", "-c", "exit 3"])
        XCTAssertEqual(short.status, 3, short.stderr)
        XCTAssertEqual(short.stdout.components(separatedBy: "memprof live: ").count - 1, 1, short.stdout)
        XCTAssertTrue(short.stdout.contains("   exited\n"), short.stdout)
        let missing = try CLI.memprof(["live", "--", "/nonexistent/program"])
        XCTAssertEqual(missing.status, 127)
        XCTAssertTrue(missing.stderr.contains("cannot run '/nonexistent/program'"), missing.stderr)
    }

    /// A service with the endpoints: /debug/memstats and /debug/pprof/heap polled over HTTP.
    func testService() throws {
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: product("memprof-http-demo"))
        demo.arguments = ["--address", "127.0.0.1:0", "--threads", "2", "--keep-mib", "24", "--seconds", "60"]
        let out = Pipe()
        demo.standardOutput = out
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer { demo.terminate(); demo.waitUntilExit() }
        var printed = ""
        while !printed.contains("\n") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
        }
        let line = try XCTUnwrap(printed.split(separator: "\n").first.map(String.init), "the demo did not start")
        let url = try XCTUnwrap(line.components(separatedBy: "listening on ").last)
        let r = try CLI.memprof(["live", "--frames", "2", "--interval", "0.5", url], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "memprof live: \(url)").count - 1, 2, r.stdout)
        let heaps = liveHeaps(r.stdout)
        XCTAssertEqual(heaps.count, 2, r.stdout)
        XCTAssertGreaterThan(heaps.first!, 24, "the 24 MiB it keeps is live: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("top sites by inuse_space"), r.stdout)
        let down = try CLI.memprof(["live", "--frames", "1", "http://127.0.0.1:9"])
        XCTAssertEqual(down.status, 1)
        XCTAssertTrue(down.stderr.hasPrefix("memprof: http://127.0.0.1:9/debug/memstats: "), down.stderr)
    }

    /// On a terminal: the screen is redrawn, `s` switches the sample type, `o` the order, `q`
    /// quits and stops the program.
    func testKeysOnATerminal() throws {
        let keys = scratch.appendingPathComponent("live-keys")
        try "so".write(to: keys, atomically: true, encoding: .utf8)
        let command = "'\(product("memprof"))' live --interval 0.3 -- '\(product("memprof-workload"))' grow 3000"
        let shell = "(sleep 1.5; cat '\(keys.path)'; sleep 1; printf q; sleep 3) | TERM=xterm /usr/bin/script -qfec \"\(command)\" /dev/null"
        let r = try CLI.run("/bin/sh", ["-c", shell], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\u{1B}[H\u{1B}[2J"), "redrawn in place")
        XCTAssertTrue(r.stdout.contains("top sites by inuse_space (keys"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top sites by inuse_objects, sorted by growth"), r.stdout)
        XCTAssertTrue(r.stdout.contains("stopping "), r.stdout)
    }
}
