import Foundation
import XCTest

/// `--help` of every command (a snapshot, opening with a worked example) and the shell
/// completion scripts ArgumentParser generates.
final class HelpTests: XCTestCase {
    static let commands = ["top", "list", "peek", "traces", "flame", "shell", "fetch", "explain", "run", "live"]

    func testEveryCommandHasHelpWithAnExample() throws {
        for command in Self.commands {
            let r = try CLI.memprof([command, "--help"])
            XCTAssertEqual(r.status, 0, command)
            XCTAssertTrue(r.stdout.contains("Example"), "\(command) --help has no example:\n\(r.stdout)")
            XCTAssertTrue(r.stdout.contains("USAGE: memprof \(command)"), r.stdout)
            try CLI.assertGolden(r.stdout, "help_\(command).txt")
        }
        let root = try CLI.memprof(["--help"])
        XCTAssertEqual(root.status, 0)
        try CLI.assertGolden(root.stdout, "help_memprof.txt")
        for command in Self.commands where command != "run" {
            XCTAssertTrue(root.stdout.contains("  \(command) "), "\(command) missing from memprof --help")
        }
        XCTAssertFalse(root.stdout.contains("_synthetic-profile"), "the benchmark helper stays hidden")
    }

    /// The help names pprof's flags the way both spellings are accepted.
    func testSharedFlagsAreDocumented() throws {
        let r = try CLI.memprof(["top", "--help"])
        for flag in ["--sample-index", "--inuse_space", "--inuse_objects", "--alloc_space", "--alloc_objects",
                     "-n, --nodecount", "--cum", "--focus", "--ignore", "--hide", "--base", "--diff-base", "--full-names"] {
            XCTAssertTrue(r.stdout.contains(flag), "\(flag) missing from top --help")
        }
    }

    /// Options that only `list` uses are in list's help (and the shell's, which can list), not
    /// in top's; no help line is wrapped mid-sentence by a discussion wider than 80 columns.
    func testOptionGroupsAndLayout() throws {
        let top = try CLI.memprof(["top", "--help"]).stdout
        XCTAssertFalse(top.contains("--source-path"), top)
        XCTAssertFalse(top.contains("--trim-path"), top)
        for command in ["list", "shell"] {
            let help = try CLI.memprof([command, "--help"]).stdout
            XCTAssertTrue(help.contains("SOURCE FILES"), help)
            XCTAssertTrue(help.contains("--source-path"), help)
            XCTAssertTrue(help.contains("--trim-path"), help)
        }
        for command in Self.commands {
            let help = try CLI.memprof([command, "--help"]).stdout
            let discussion = help.components(separatedBy: "USAGE:")[0]
            for line in discussion.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2) where !line.isEmpty {
                // A lone word on a line is the tail of a sentence ArgumentParser wrapped.
                XCTAssertTrue(line.contains(" ") || line.hasSuffix(":"), "\(command) --help wraps mid-sentence at: \(line)\n\(help)")
            }
        }
    }

    func testCompletionScripts() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try CLI.memprof(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, "\(shell): \(r.stderr)")
            XCTAssertGreaterThan(r.stdout.count, 1000, shell)
            for word in ["top", "peek", "traces", "explain", "alloc_space", "nodecount", "diff-base"] {
                XCTAssertTrue(r.stdout.contains(word), "\(shell) completion lacks \(word)")
            }
        }
        // The bash script is valid bash.
        let script = scratch.appendingPathComponent("memprof.bash")
        try CLI.memprof(["--generate-completion-script", "bash"]).stdout.write(to: script, atomically: true, encoding: .utf8)
        let check = try CLI.run("/bin/bash", ["-n", script.path])
        XCTAssertEqual(check.status, 0, check.stderr)
    }
}
