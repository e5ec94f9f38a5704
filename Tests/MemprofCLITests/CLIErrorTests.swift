import Foundation
import XCTest

/// Bad input of every kind gets one clear line on standard error and a non-zero exit:
/// never a crash, a hang or a stack trace.
final class CLIErrorTests: XCTestCase {
    /// Runs memprof, expecting failure with exactly one `memprof: ` line naming `expected`.
    func assertOneLineError(_ arguments: [String], _ expected: String, status: Int32 = 1,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.memprof(arguments, timeout: 60)
        XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(arguments)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("memprof: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(expected), "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), "no colour when not on a terminal", file: file, line: line)
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testBadFiles() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap.pb.gz"))))
        let truncated = try write(Array(good.prefix(good.count / 2)), "truncated.pb.gz")
        try assertOneLineError(["top", truncated], "truncated.pb.gz: not a valid pprof profile: gzip:")
        let text = try write(Array("hello, I am a text file\n".utf8), "notes.txt")
        try assertOneLineError(["top", text], "notes.txt: not a pprof profile: input is text (\"hello, I am a text file\")")
        let empty = try write([], "empty.pb.gz")
        try assertOneLineError(["top", empty], "empty.pb.gz: not a pprof profile: empty input")
        // Go's texts are read (LegacyTextTests), but not the threadcreate text with its empty
        // stacks, which go tool pprof refuses too.
        let threads = try write(Array("threadcreate profile: total 4\n4 @\n#\t0x0\n".utf8), "threadcreate.txt")
        try assertOneLineError(["traces", threads], "threadcreate.txt: not a valid pprof profile: malformed count profile record: \"4 @\"")
        try assertOneLineError(["top", "/nonexistent/heap.pb.gz"], "memprof: /nonexistent/heap.pb.gz: No such file or directory")
        try assertOneLineError(["top", scratch.path], "Is a directory")
        try assertOneLineError(["top", CLI.fixture("heap.pb.gz"), "--base", "/nonexistent/base"],
                               "/nonexistent/base: No such file or directory")
        // Foreign binary data: an ELF file.
        try assertOneLineError(["peek", "x", "/bin/true"], "/bin/true: not a valid pprof profile")
    }

    /// An output that cannot be written: the system's reason, status 1, whichever output it
    /// is; `run` says so before it starts the program.
    func testUnwritableOutputsSayWhyAndFail() throws {
        let directory = scratch.path
        try assertOneLineError(["flame", CLI.fixture("heap.pb.gz"), "-o", directory], "cannot write \(directory): Is a directory")
        try assertOneLineError(["flame", CLI.fixture("heap.pb.gz"), "-o", "/nonexistent/f.html"],
                               "cannot write /nonexistent/f.html: No such file or directory")
        for flag in ["-o", "--peak-profile", "--summary-json", "--timeline"] {
            for (path, reason) in [(directory, "Is a directory"), ("/nonexistent/out", "No such file or directory")] {
                let r = try CLI.memprof(["run", flag, path, "--", "/bin/echo", "ran"], timeout: 60)
                XCTAssertEqual(r.status, 1, "\(flag) \(path): \(r.stderr)")
                XCTAssertEqual(r.stderr, "memprof: cannot write \(path): \(reason) (the program was not started)\n", flag)
                XCTAssertEqual(r.stdout, "", "not started")
            }
        }
    }

    func testBadOptions() throws {
        let heap = CLI.fixture("heap.pb.gz")
        try assertOneLineError(["top", "--sample-index", "nope", heap], "sample_index \"nope\" must be one of: [alloc_objects alloc_space inuse_objects inuse_space]")
        // A number out of range, negative ones too (a value, as in pprof's flags, not an option).
        try assertOneLineError(["top", "-sample_index", "-1", heap], "sample_index -1 is outside the range [0..3]")
        try assertOneLineError(["top", "--sample-index", "4", heap], "sample_index 4 is outside the range [0..3]")
        // The regex error is Go's, word for word.
        try assertOneLineError(["top", "--focus", "(", heap], "parsing focus regexp: error parsing regexp: missing closing ): `(`")
        try assertOneLineError(["top", "--ignore", "a{2,1}", heap],
                               "parsing ignore regexp: error parsing regexp: invalid repeat count: `{2,1}`")
        try assertOneLineError(["top", "--focus", "(?=x)", heap],
                               "parsing focus regexp: error parsing regexp: invalid or unsupported Perl syntax: `(?=`")
        // Of several sources, the unreadable ones are named and the rest reported (pprof's
        // way); none readable is an error.
        let partial = try CLI.memprof(["top", heap, "/nonexistent/a.pb.gz"])
        XCTAssertEqual(partial.status, 0)
        XCTAssertEqual(partial.stdout, try CLI.memprof(["top", heap]).stdout)
        XCTAssertEqual(partial.stderr, "memprof: /nonexistent/a.pb.gz: No such file or directory\n"
            + "Fetched 1 source profiles out of 2\n")
        let none = try CLI.memprof(["top", "/nonexistent/a", "/nonexistent/b"])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stdout, "")
        XCTAssertEqual(none.stderr, "memprof: /nonexistent/a: No such file or directory\nmemprof: /nonexistent/b: No such file or directory\n"
            + "memprof: failed to fetch any source profiles\n")
        try assertOneLineError(["top", heap, CLI.fixture("labels.pb.gz")], "cannot merge the profiles:")
        // A filter that matches nothing: the report, and pprof's warning on standard error.
        let unmatched = try CLI.memprof(["top", "--focus", "zzzq", "--hide", "zzzq", heap])
        XCTAssertEqual(unmatched.status, 0)
        XCTAssertTrue(unmatched.stdout.contains("Showing nodes accounting for 0, 0% of"), unmatched.stdout)
        XCTAssertEqual(unmatched.stderr, "Focus expression matched no samples\nHide expression matched no samples\n")
        try assertOneLineError(["peek", "nothing_matches_this", heap], "no matches found for regexp: nothing_matches_this")
        // Usage errors are ArgumentParser's: a message, the usage line, status 64.
        let unknown = try CLI.memprof(["top", "--no-such-flag", heap])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("Unknown option '--no-such-flag'"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("Usage: memprof top"), unknown.stderr)
        let both = try CLI.memprof(["top", "--base", heap, "--diff-base", heap, heap])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("give --base or --diff-base, not both"), both.stderr)
    }

    /// A mistyped command is named, with the nearest one, instead of being opened as a
    /// profile; a file of that name is still a profile for the shell.
    func testUnknownCommand() throws {
        let heap = CLI.fixture("heap.pb.gz")
        try assertOneLineError(["tops", heap], "unknown command 'tops', and no file of that name; did you mean 'top'? (memprof --help lists the commands)",
                               status: 64)
        try assertOneLineError(["nosuchcmd"], "unknown command 'nosuchcmd', and no file of that name (memprof --help lists the commands)",
                               status: 64)
        try assertOneLineError(["exlpain", "42"], "did you mean 'explain'?", status: 64)
        // A file named like a command's typo opens in the shell.
        let dir = scratch.appendingPathComponent("unknown-command")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("tops")
        try? FileManager.default.removeItem(at: file)
        try FileManager.default.copyItem(atPath: heap, toPath: file.path)
        let shell = try CLI.memprof(["tops"], input: "top2\n", directory: dir)
        XCTAssertEqual(shell.status, 0, shell.stderr)
        XCTAssertTrue(shell.stdout.contains("Showing top 2 nodes"), shell.stdout)
        // ArgumentParser's own `help` command is a command.
        let help = try CLI.memprof(["help", "top"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("USAGE: memprof top"), help.stdout)
        // A path that does not exist is "no such file", as before.
        try assertOneLineError(["/nonexistent/heap.pb.gz"], "/nonexistent/heap.pb.gz: No such file or directory")
    }

    /// Go's spellings of the sample type are accepted: --sample_index, -sample_index, and ours.
    func testSampleIndexSpellings() throws {
        let heap = CLI.fixture("heap.pb.gz")
        let expected = try CLI.memprof(["top", "--alloc_space", heap])
        XCTAssertEqual(expected.status, 0, expected.stderr)
        XCTAssertTrue(expected.stdout.contains("Type: alloc_space"), expected.stdout)
        for spelling in [["--sample_index=alloc_space"], ["--sample_index", "alloc_space"], ["-sample_index=alloc_space"],
                         ["--sample-index=alloc_space"], ["--sample-index", "1"]] {
            let r = try CLI.memprof(["top"] + spelling + [heap])
            XCTAssertEqual(r.status, 0, "\(spelling): \(r.stderr)")
            XCTAssertEqual(r.stdout, expected.stdout, "\(spelling)")
        }
        // Several selections: pprof's choice (the index, else the first shortcut in its order)
        // and its warning for each one ignored.
        let several = try CLI.memprof(["top", "-alloc_objects", "-alloc_space", heap])
        XCTAssertEqual(several.status, 0, several.stderr)
        XCTAssertEqual(several.stdout, expected.stdout)
        XCTAssertEqual(several.stderr, "Multiple value selections, ignoring -alloc_objects\n")
        let indexWins = try CLI.memprof(["top", "-sample_index=alloc_space", "-inuse_space", heap])
        XCTAssertEqual(indexWins.stdout, expected.stdout)
        XCTAssertEqual(indexWins.stderr, "Multiple value selections, ignoring -inuse_space\n")
    }

    func testVersion() throws {
        let r = try CLI.memprof(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotNil(r.stdout.wholeMatch(of: #/\d+\.\d+\.\d+\n/#), r.stdout)
    }

    func testURLErrors() throws {
        let server = try TinyHTTPServer(routes: [
            "/text": .ok(Data("<html>not a profile</html>".utf8)),
            "/half": .truncated(try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap.pb.gz")))),
            "/slow": .silent,
        ])
        defer { server.stop() }
        try assertOneLineError(["top", "\(server.url)/missing"], "\(server.url)/missing: HTTP 404 Status: 404 page not found")
        try assertOneLineError(["top", "\(server.url)/text"], "not a pprof profile: input is text (\"<html>not a profile</html>\")")
        try assertOneLineError(["top", "\(server.url)/half"], "connection closed after")
        let started = Date()
        try assertOneLineError(["top", "--timeout", "1", "\(server.url)/slow"], "timed out waiting for the response")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        // A closed port: nothing listens on the port the stopped server had.
        let closed = try TinyHTTPServer(routes: [:])
        closed.stop()
        try assertOneLineError(["top", "\(closed.url)/heap"], "cannot connect to 127.0.0.1:\(closed.port): Connection refused")
    }

    /// Damaged copies of a real profile: every one either reports or fails with one line.
    func testDamagedProfilesNeverCrash() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap-gc1.pb.gz"))))
        let plainPath = scratch.appendingPathComponent("heap-gc1.pb").path
        _ = try CLI.run("/bin/sh", ["-c", "gzip -dc '\(CLI.fixture("heap-gc1.pb.gz"))' > '\(plainPath)'"])
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plainPath)))
        XCTAssertGreaterThan(raw.count, 1000)
        // The same damage on every run, so that a failure can be reproduced (as the parsers'
        // mutation tests in HostileInputTests do).
        var rng = XorShiftGenerator(seed: 0x5EED_2026_1205)
        var variants: [[UInt8]] = []
        for i in 0..<12 { variants.append(Array(raw.prefix(raw.count * i / 12))) }   // truncated protobuf
        for _ in 0..<12 {                                                               // flipped bytes
            var v = raw
            for _ in 0..<3 { v[Int.random(in: 0..<v.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            variants.append(v)
        }
        for _ in 0..<6 {                                                                // damaged gzip
            var v = good
            v[Int.random(in: 10..<v.count, using: &rng)] ^= 0x55
            variants.append(v)
        }
        for (i, v) in variants.enumerated() {
            let path = try write(v, "damaged-\(i).pb")
            let r = try CLI.memprof(["top", "--alloc_space", path], timeout: 60)
            XCTAssertTrue(r.status == 0 || r.status == 1, "variant \(i): status \(r.status), \(r.stderr)")
            if r.status != 0 {
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "variant \(i): \(r.stderr)")
                // Damage the parser catches names the file; a renamed sample type is caught later.
                XCTAssertTrue(r.stderr.hasPrefix("memprof: \(path): ") || r.stderr.hasPrefix("memprof: sample_index "),
                              "variant \(i): \(r.stderr)")
            }
        }
    }
}

/// xorshift64*: a small generator whose sequence is fixed by its seed.
private struct XorShiftGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
