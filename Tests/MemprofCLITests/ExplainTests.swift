import Foundation
import XCTest

/// `memprof explain`: the parts of RSS add up to the total, the exact counters split the
/// heap, and the figures agree with what the program allocated.
final class ExplainTests: XCTestCase {
    /// The rows of the RSS table: (KiB, label, indented).
    func table(_ text: String) -> [(kib: Int, label: String, indented: Bool)] {
        var rows: [(Int, String, Bool)] = []
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("         KiB") { inTable = true; continue }
            guard inTable else { continue }
            if line.isEmpty { break }
            if line.hasPrefix("  ---") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let kib = Int(fields.first?.replacingOccurrences(of: ",", with: "") ?? "") else { continue }
            // Label: after the percentage column (column 31 on), two or four spaces in.
            let rest = line.dropFirst(31)
            rows.append((kib, rest.trimmingCharacters(in: .whitespaces), rest.hasPrefix("    ")))
        }
        return rows
    }

    func assertAddsUp(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let rows = table(text)
        guard let total = rows.last, total.label.hasPrefix("= RSS") else {
            return XCTFail("no total row in:\n\(text)", file: file, line: line)
        }
        let parts = rows.dropLast().filter { !$0.indented }
        // The fifth part, memprof's own tables, is there when the process runs under the hook.
        XCTAssertEqual(parts.count, parts.last?.label.hasPrefix("memprof itself") == true ? 5 : 4, text, file: file, line: line)
        XCTAssertEqual(parts.reduce(0) { $0 + $1.kib }, total.kib, "top-level parts sum to RSS:\n\(text)", file: file, line: line)
        let sub = rows.dropLast().filter(\.indented)
        if !sub.isEmpty {
            XCTAssertEqual(sub.reduce(0) { $0 + $1.kib }, rows[0].kib, "live + held = malloc heap:\n\(text)", file: file, line: line)
        }
        XCTAssertGreaterThan(total.kib, 0, file: file, line: line)
    }

    /// A process run under the hook: a 60 MB buffer, filled, held while memprof reads.
    func testExplainCommandRunUnderTheHook() throws {
        let r = try CLI.memprof(["explain", "--", python, "-c",
                                 "import time\nx = bytearray(60_000_000)\nfor i in range(0, len(x), 4096): x[i] = 1\ntime.sleep(0.6)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertAddsUp(r.stdout)
        let rows = table(r.stdout)
        let live = try XCTUnwrap(rows.first { $0.label.hasPrefix("live:") }, r.stdout)
        // The live heap holds the 60,000,000-byte buffer (58,594 KiB) and the interpreter's objects.
        XCTAssertGreaterThanOrEqual(live.kib, 58_594, r.stdout)
        XCTAssertLessThan(live.kib, 58_594 + 20_000, r.stdout)
        XCTAssertTrue(r.stdout.contains("In short: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("of RSS is live heap"), r.stdout)
        // The preload library's static tables (2 MiB of .bss) are memprof's, not the program's.
        let ours = try XCTUnwrap(rows.first { $0.label.hasPrefix("memprof itself:") }, r.stdout)
        XCTAssertGreaterThan(ours.kib, 0, r.stdout)
        XCTAssertTrue(r.stdout.contains("memprof's tables (ours) "), r.stdout)
        XCTAssertTrue(r.stdout.contains("At exit (exact counters): "), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}"), "no colour when not on a terminal")
    }

    /// The first line a child writes to `pipe` (without its newline); nil at end of file.
    private func readLine(_ pipe: Pipe) -> String? {
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { return nil }
            if byte.first == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// The exit status of the explained program is passed through.
    func testExitStatusAndShortPrograms() throws {
        let r = try CLI.memprof(["explain", "--", "/bin/sh", "-c", "sleep 0.3; exit 3"])
        XCTAssertEqual(r.status, 3, r.stderr)
        assertAddsUp(r.stdout)
        let missing = try CLI.memprof(["explain", "--", "/nonexistent/program"])
        XCTAssertEqual(missing.status, 127)
        XCTAssertEqual(missing.stderr, "memprof: cannot run '/nonexistent/program': No such file or directory\n")
    }

    /// A running process, by pid: without the hook, the heap is not split but everything adds up.
    func testExplainPid() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: python)
        sleeper.arguments = ["-c", "import time\nx = bytearray(30_000_000)\nfor i in range(0, len(x), 4096): x[i] = 1\n"
                             + "print('ready', flush=True)\ntime.sleep(30)"]
        let ready = Pipe()
        sleeper.standardOutput = ready
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        XCTAssertEqual(readLine(ready), "ready", "the buffer is filled")
        let r = try CLI.memprof(["explain", String(sleeper.processIdentifier)])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("Memory of pid \(sleeper.processIdentifier) ("), r.stdout)
        XCTAssertTrue(r.stdout.contains("VIRT "), r.stdout)
        assertAddsUp(r.stdout)
        let rows = table(r.stdout)
        XCTAssertNil(rows.first { $0.label.hasPrefix("live:") }, "no counters without the hook")
        let rss = rows.last!.kib
        XCTAssertGreaterThan(rss, 29_297, "the 30 MB buffer is resident")
    }

    /// A process started by `memprof run`: its exact counters are read through its shared file.
    func testExplainPidStartedByMemprofRun() throws {
        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: product("memprof"))
        runner.arguments = ["run", "--", python, "-c",
                            "import time\nx = bytearray(40_000_000)\nfor i in range(0, len(x), 4096): x[i] = 1\n"
                            + "print('ready', flush=True)\ntime.sleep(30)"]
        runner.standardError = FileHandle.nullDevice
        let ready = Pipe()
        runner.standardOutput = ready
        try runner.run()
        defer { kill(runner.processIdentifier, SIGTERM); runner.waitUntilExit() }
        var child: Int32?
        for _ in 0..<50 where child == nil {
            usleep(100_000)
            child = childPids(of: runner.processIdentifier).first
        }
        let pid = try XCTUnwrap(child)
        XCTAssertEqual(readLine(ready), "ready", "the buffer is filled")
        let r = try CLI.memprof(["explain", String(pid)])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertAddsUp(r.stdout)
        let live = try XCTUnwrap(table(r.stdout).first { $0.label.hasPrefix("live:") }, r.stdout)
        XCTAssertGreaterThanOrEqual(live.kib, 39_063, r.stdout)
    }

    /// A program that ends within a few milliseconds is still read, several times, and never
    /// "before" a negative time; memprof's state file is named as ours, not counted as the
    /// program's files; the program's name is whole, not cut to 15 characters.
    func testShortProgramStateFileAndLongName() throws {
        let dir = scratch.appendingPathComponent("explain-short")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let long = dir.appendingPathComponent("a-rather-long-program-name").path
        try? FileManager.default.removeItem(atPath: long)
        try FileManager.default.createSymbolicLink(atPath: long, withDestinationPath: "/bin/sleep")
        let r = try CLI.memprof(["explain", "--", long, "0.1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertAddsUp(r.stdout)
        let subject = try XCTUnwrap(r.stdout.split(separator: "\n").first.map(String.init))
        XCTAssertTrue(subject.hasPrefix("Memory of a-rather-long-program-name (pid "), subject)
        let readings = try XCTUnwrap(subject.firstMatch(of: #/\((\d+) readings?\)/#).flatMap { Int($0.1) })
        XCTAssertGreaterThanOrEqual(readings, 3, "a 100 ms program is read early and often: \(subject)")
        XCTAssertFalse(subject.contains(" -"), "no negative time: \(subject)")
        XCTAssertTrue(r.stdout.contains("memprof's state file (ours, not the program's)"), r.stdout)

        // By pid: the name from /proc/PID/cmdline, whole.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: long)
        sleeper.arguments = ["10"]
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        usleep(200_000)
        let byPid = try CLI.memprof(["explain", String(sleeper.processIdentifier)])
        XCTAssertEqual(byPid.status, 0, byPid.stderr)
        XCTAssertTrue(byPid.stdout.hasPrefix("Memory of pid \(sleeper.processIdentifier) (a-rather-long-program-name)"), byPid.stdout)
        XCTAssertFalse(byPid.stdout.contains("state file"), "no state file without the hook")
    }

    func testBadPid() throws {
        let r = try CLI.memprof(["explain", "999999999"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(r.stderr, "memprof: no process with pid 999999999\n")
        let neither = try CLI.memprof(["explain"])
        XCTAssertEqual(neither.status, 64)
        XCTAssertTrue(neither.stderr.contains("give a pid, or a program after --"), neither.stderr)
    }

    /// The real Python interpreter (not a pyenv shim script), so the pid is the program's.
    lazy var python: String = {
        let r = try? CLI.run("/bin/sh", ["-c", "python3 -c 'import sys; print(sys.executable)'"])
        return r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "/usr/bin/python3"
    }()

    func childPids(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
        }
    }
}
