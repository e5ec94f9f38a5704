import Foundation
import XCTest

/// `memprof FILE`: the interactive shell, driven through standard input (and a terminal).
final class ShellTests: XCTestCase {
    let heap = CLI.fixture("heap.pb.gz")

    /// A whole session: greeting, reports, options, errors that do not end the shell.
    func testSessionTranscript() throws {
        let input = """
            top5
            sample_index=alloc_space
            top3 -cum
            frobnicate
            nodecount=2
            top
            peek bigBytes
            o
            sample_index=nope
            divide_by=x
            inuse_objects
            traces malg
            help peek
            lines
            top2
            quit
            top
            """
        let r = try CLI.memprof([heap], input: input + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, """
            memprof: unrecognized command: "frobnicate" (type "help" for commands)
            memprof: sample index "nope" must be one of: [alloc_objects alloc_space inuse_objects inuse_space]
            memprof: divide_by must be a number, e.g. divide_by=1024

            """)
        try CLI.assertGolden(r.stdout, "shell_heap_session.txt")
    }

    /// The reports inside the shell are those of pprof's own shell given the same lines: its
    /// default of 10 rows for top, and top and peek without the legend the greeting showed.
    func testShellReportsEqualGoToolPprof() throws {
        let gc1 = CLI.fixture("heap-gc1.pb.gz")
        let greeting = "Entering interactive mode (type \"help\" for commands, \"o\" for options)\n"
        let cases = [
            "top5", "top", "alloc_space\ntop -cum 4", "sample_index=alloc_objects\nnodefraction=0\ntop main",
            "sample_index=alloc_space\npeek runtime.main", "focus=main\ntop3\npeek runtime.main", "traces",
            "divide_by=2\ntop3", "divide_by=1024\nsample_index=alloc_space\npeek runtime.main\ndivide_by=1\ntop2",
            "divide_by=0.5\ntraces",
        ]
        for commands in cases {
            let r = try CLI.memprof([gc1], input: commands + "\n")
            XCTAssertEqual(r.status, 0, r.stderr)
            let report = r.stdout.components(separatedBy: greeting).last ?? ""
            // pprof's shell writes its greeting to stderr, and its prompt even when its input is
            // not a terminal.
            let go = try CLI.run("/usr/bin/go", ["tool", "pprof", gc1], input: commands + "\n")
            XCTAssertEqual(go.status, 0, go.stderr)
            XCTAssertTrue(go.stderr.contains(greeting), go.stderr)
            let expected = go.stdout.replacingOccurrences(of: "(pprof) ", with: "")
            XCTAssertEqual(report, expected, "\(commands): \(CLI.firstDifference(report, expected) ?? "")")
        }
    }

    /// `o` prints divide_by and nodefraction as pprof's shell does (Go's `%v` of a float64),
    /// for values that print plainly and in exponent form; a value beyond Int64 once trapped.
    func testOptionNumbersPrintAsGoToolPprof() throws {
        let gc1 = CLI.fixture("heap-gc1.pb.gz")
        for value in ["2", "1e20", "1e21", "1000000", "100000", "123456789", "0.00001", "0.0001", "1024", "2.5", "-3",
                      "1.5e300", "0.1"] {
            for option in ["divide_by", "nodefraction"] {
                let commands = "\(option)=\(value)\no\n"
                let r = try CLI.memprof([gc1], input: commands)
                XCTAssertEqual(r.status, 0, r.stderr)
                let go = try CLI.run("/usr/bin/go", ["tool", "pprof", gc1], input: commands)
                XCTAssertEqual(go.status, 0, go.stderr)
                func row(_ text: String) -> String? {
                    text.split(separator: "\n").first { $0.contains(" \(option) ") }
                        .map { $0.replacingOccurrences(of: "(pprof) ", with: "").split(separator: " ").prefix(3).joined(separator: " ") }
                }
                if option == "nodefraction" && value.hasPrefix("-") {
                    XCTAssertTrue(r.stderr.contains("nodefraction must be a number"), r.stderr)  // pprof takes it; we refuse
                    continue
                }
                XCTAssertEqual(row(r.stdout), row(go.stdout + go.stderr), "\(option)=\(value)")  // pprof prints `o` to stderr
                XCTAssertNotNil(row(r.stdout), r.stdout)
            }
        }
    }

    /// `mean=true` in the shell: means per contention in a Go block profile, as pprof's shell
    /// prints them.
    func testMeanInTheShellEqualsGoToolPprof() throws {
        let block = CLI.fixture("block.pb.gz")
        let greeting = "Entering interactive mode (type \"help\" for commands, \"o\" for options)\n"
        let commands = "mean=true\ntop\npeek main\nmean=false\ntop -cum\n"
        let r = try CLI.memprof([block], input: commands)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = r.stdout.components(separatedBy: greeting).last ?? ""
        let go = try CLI.run("/usr/bin/go", ["tool", "pprof", block], input: commands)
        XCTAssertEqual(go.status, 0, go.stderr)
        let expected = go.stdout.replacingOccurrences(of: "(pprof) ", with: "")
        XCTAssertTrue(expected.contains("of 1.91ms total"), expected)
        XCTAssertEqual(report, expected, CLI.firstDifference(report, expected) ?? "")
    }

    /// `list` in the shell reads sources like `memprof list` (flags given on the command line).
    func testListInTheShell() throws {
        let greeting = "Entering interactive mode (type \"help\" for commands, \"o\" for options)\n"
        let r = try CLI.memprof(["--trim-path", "goseed", "heap.pb.gz"], input: "alloc_space\nlist bigBytes\n",
                                directory: CLI.goFixtures)
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try String(contentsOfFile: CLI.fixture("pprof-list.txt"), encoding: .utf8)
        XCTAssertEqual(r.stdout.components(separatedBy: greeting).last, expected)
    }

    func testEndOfInputEndsTheShell() throws {
        let r = try CLI.memprof([heap], input: "", timeout: 30)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasSuffix("Entering interactive mode (type \"help\" for commands, \"o\" for options)\n"), r.stdout)
        let explicit = try CLI.memprof(["shell", heap], input: "exit\ntop\n")
        XCTAssertEqual(explicit.stdout, r.stdout, "nothing after exit runs")
    }

    func testNoArgumentsPrintsHelp() throws {
        let r = try CLI.memprof([])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("USAGE: memprof <subcommand>"), r.stdout)
        XCTAssertTrue(r.stdout.contains("shell (default)"), r.stdout)
    }

    /// On a terminal (a pseudo-terminal from util-linux `script`): the prompt appears in
    /// bold, errors in red, commands run, `quit` leaves. (tmux needs a character-device
    /// /dev/null, which this machine does not have.)
    func testInTerminal() throws {
        let script = "/usr/bin/script"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script), "util-linux script is needed")
        let command = "'\(product("memprof"))' '\(heap)'"
        let r = try CLI.run("/usr/bin/env", ["-u", "NO_COLOR", "TERM=xterm", script, "-qfec", command, "/dev/null"],
                            input: "top3\nbogus\nquit\ntop\n", timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let screen = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertTrue(screen.contains("\u{1B}[1m(memprof)\u{1B}[0m "), screen)
        XCTAssertTrue(screen.contains("  512.20kB 50.01% 50.01%   512.20kB 50.01%  runtime.malg\n"), screen)
        XCTAssertTrue(screen.contains("Showing top 3 nodes out of 5\n"), screen)
        XCTAssertTrue(screen.contains("\u{1B}[1;31mmemprof:\u{1B}[0m unrecognized command: \"bogus\""), screen)
        // Three prompts: before top3, bogus and quit; the `top` after quit never runs.
        XCTAssertEqual(screen.components(separatedBy: "(memprof)").count - 1, 3, screen)
    }
    /// Line editing on a terminal: arrows move and recall history, Backspace, Ctrl-U and Ctrl-C
    /// erase, Ctrl-D on an empty line leaves; no escape sequence is echoed as `^[[A`.
    func testLineEditingInTerminal() throws {
        let script = "/usr/bin/script"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script), "util-linux script is needed")
        let esc = "\u{1B}"
        let keys = [
            "tp3", "\(esc)[D\(esc)[D\(esc)[D", "\(esc)[C", "o", "\r", // "tp3", left 3, right, "o": "top3"
            "\(esc)[A", "\r",                                     // Up: top3 again
            "top22", "\u{7F}", "\u{7F}", "1\r",                  // Backspace twice: top1
            "bogus", "\u{15}", "top2\r",                          // Ctrl-U erases bogus
            "junk", "\u{03}",                                      // Ctrl-C abandons the line
            "op4", "\u{01}", "t", "\u{05}", "\r",                  // Ctrl-A, "t", Ctrl-E: top4
            "\(esc)[A\(esc)[A\(esc)[A\(esc)[B", "\r",             // Up 3 (top1), Down 1: top2; history top3 top1 top2 top4
            "\u{04}",                                              // Ctrl-D on an empty line: leave
        ].joined()
        let keyFile = scratch.appendingPathComponent("shell-keys")
        try keys.write(to: keyFile, atomically: true, encoding: .utf8)
        // The keys arrive after the shell has started, as a person types.
        let command = "(sleep 1; cat '\(keyFile.path)'; sleep 5) | TERM=xterm \(script) -qfec \"'\(product("memprof"))' '\(heap)'\" /dev/null"
        let r = try CLI.run("/bin/sh", ["-c", command], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let screen = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        func count(_ s: String) -> Int { screen.components(separatedBy: s).count - 1 }
        XCTAssertEqual(count("Showing top 3 nodes out of 5\n"), 2, screen)
        XCTAssertEqual(count("Showing top 2 nodes out of 5\n"), 2, screen)
        XCTAssertEqual(count("Showing top 1 nodes out of 5\n"), 1, screen)
        XCTAssertEqual(count("Showing top 4 nodes out of 5\n"), 1, screen)
        XCTAssertFalse(screen.contains("unrecognized command"), screen)
        XCTAssertFalse(screen.contains("^[["), "escape sequences are keys, not text: \(screen)")
        XCTAssertTrue(screen.contains("junk^C\n"), screen)
    }
}
