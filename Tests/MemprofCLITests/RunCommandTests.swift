import Foundation
import XCTest

/// `memprof run`: exact counts against an independent counter, exit status, abrupt ends.
final class RunCommandTests: XCTestCase {
    func testCountsEqualAnIndependentCounter() throws {
        // Single-threaded programs: identical, run after run.
        for args in [["c-calls"], ["churn", "20000"], ["seed"]] {
            let workload = product("memprof-workload")
            let (summary, run) = try memprofRun([workload] + args)
            XCTAssertEqual(run.status, 0, run.stderr)
            let (allocs, frees, requested) = try independentCounts(workload, args)
            XCTAssertEqual(uint(summary["allocations"]), allocs, "allocations of \(args)")
            XCTAssertEqual(uint(summary["frees"]), frees, "frees of \(args)")
            XCTAssertEqual(uint(summary["requested_bytes"]), requested, "requested bytes of \(args)")
            XCTAssertEqual(uint(summary["live_objects"]), allocs - frees, "live objects of \(args)")
        }
    }

    func testEnvironmentKeepsItsOrderAndGainsOnlyOurVariables() throws {
        // `env -i` hands memprof exactly these variables, in this order; the child must get
        // them in the same order, LD_PRELOAD changed in place, and only ours appended.
        let given = ["ZZ=last-name-first", "MEMPROF_PRELOAD_LIB=\(hookCopy)", "AA=1", "LD_PRELOAD=", "MM=x=y", "PATH=/usr/bin:/bin"]
        let r = try runProgram("/usr/bin/env", ["-i"] + given + [product("memprof"), "run", "--", "/usr/bin/env", "-0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let child = r.stdout.split(separator: "\0").map(String.init)
        var expected = given
        expected[3] = "LD_PRELOAD=\(hookCopy)"
        XCTAssertEqual(Array(child.prefix(given.count)), expected)
        let added = child.dropFirst(given.count).map { String($0.prefix { $0 != "=" }) }
        XCTAssertEqual(added, ["MEMPROF_SHM", "MEMPROF_RATE"], "\(child)")
    }

    func testSeedPeakAndLive() throws {
        let (summary, _) = try memprofRun([product("memprof-workload"), "seed"])
        // One 100,000,000-byte buffer is live at a time, and one is kept at exit.
        let peak = uint(summary["peak_live_bytes"]), live = uint(summary["live_bytes"])
        XCTAssertGreaterThanOrEqual(live, 100_000_000)
        XCTAssertLessThan(live, 101_000_000)
        XCTAssertGreaterThanOrEqual(peak, 100_000_000)
        XCTAssertLessThan(peak, 101_000_000, "only one buffer is live at a time")
        XCTAssertGreaterThanOrEqual(uint(summary["requested_bytes"]), 1_000_000_000)
    }

    func testExitStatusIsPassedThrough() throws {
        let r = try runProgram(product("memprof"), ["run", "--", "/bin/sh", "-c", "exit 7"])
        XCTAssertEqual(r.status, 7)
        XCTAssertTrue(r.stderr.contains("exited with status 7"), r.stderr)
        // The command as a shell takes it back: quoted where needed, a newline escaped.
        XCTAssertTrue(r.stderr.contains("memprof: /bin/sh -c 'exit 7' (pid "), r.stderr)
        let quoted = try runProgram(product("memprof"), ["run", "--", "/bin/sh", "-c", "echo \"it's\"\nexit 0", "x y", ""])
        XCTAssertEqual(quoted.status, 0, quoted.stderr)
        XCTAssertTrue(quoted.stderr.contains(#"memprof: /bin/sh -c $'echo "it\'s"\nexit 0' 'x y' '' (pid "#), quoted.stderr)
    }

    func testSummaryIsCompleteHoweverTheProgramEnds() throws {
        let expected: [(String, Int32, String)] = [
            ("_exit", 5, "exit_code"), ("sigterm", 128 + SIGTERM, "signal"),
            ("sigint", 128 + SIGINT, "signal"), ("sigkill", 128 + SIGKILL, "signal"),
        ]
        let baseline = try memprofRun([product("memprof-workload"), "none"]).0
        for (name, status, key) in expected {
            let (summary, run) = try memprofRun([product("memprof-workload"), name, "5000"])
            XCTAssertEqual(run.status, status, name)
            XCTAssertNotNil(summary[key], name)
            // The 5000 kept blocks of 1000 bytes are all there, counted before the end.
            XCTAssertGreaterThanOrEqual(uint(summary["live_objects"]), 5000, name)
            XCTAssertGreaterThanOrEqual(uint(summary["allocations"]), uint(baseline["allocations"]) + 5000, name)
            XCTAssertLessThan(uint(summary["allocations"]), uint(baseline["allocations"]) + 5100, name)
        }
    }

    func testACommandThatCannotStartGetsAClearError() throws {
        let r = try runProgram(product("memprof"), ["run", "--", "/nonexistent/program"])
        XCTAssertEqual(r.status, 127)
        XCTAssertTrue(r.stderr.contains("cannot run '/nonexistent/program': No such file or directory"), r.stderr)
        let none = try runProgram(product("memprof"), ["run"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("give the program to run"), none.stderr)
    }

    func testNonPIEExecutablesAreCounted() throws {
        // Debian's python3 is not position-independent and takes malloc's address: dlsym
        // then returns its PLT entry. The hook must still know it is the copy in use.
        let python = "/usr/bin/python3"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: python), "no system python3")
        let (summary, run) = try memprofRun([python, "-c", "x = [str(i) for i in range(10000)]"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(run.stderr.contains("no counts"), run.stderr)
        XCTAssertGreaterThan(uint(summary["allocations"]), 100, run.stderr)
    }

    func testUnmodifiedNonSwiftProgramsWork() throws {
        // bash and sort are C programs; the preload library must not bring the Swift runtime.
        let (summary, run) = try memprofRun(["/bin/sh", "-c", "seq 1 20000 | sort -n > /dev/null"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertGreaterThan(uint(summary["allocations"]), 10)
        let (allocs, _, _) = try independentCounts("/bin/true", [])
        let (trueSummary, _) = try memprofRun(["/bin/true"])
        XCTAssertEqual(uint(trueSummary["allocations"]), allocs, "/bin/true allocates the same with either hook")
    }

    func testForkWhileThreadsAllocateDoesNotHang() throws {
        let (summary, run) = try memprofRun([product("memprof-workload"), "fork", "30"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // The children (1000 mallocs each) have counters of their own: not in the parent's.
        XCTAssertEqual(uint(summary["live_objects"]) < 1000, true)
    }
}
