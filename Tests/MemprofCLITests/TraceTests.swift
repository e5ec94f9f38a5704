import Foundation
import XCTest

/// MEMPROF_TRACE prints gctrace-like lines, linked in and preloaded alike.
final class TraceTests: XCTestCase {
    private func traceLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("memprof ") && $0.contains(" @") }
    }

    func testLinkedProgramTracesAndWritesAnExitLine() throws {
        let r = try runProgram(product("memprof-workload-linked"), ["seed"], environment: ["MEMPROF_TRACE": "50ms"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = traceLines(r.stderr)
        let last = try XCTUnwrap(lines.last)
        XCTAssertTrue(last.hasSuffix("(exit)"), String(last))
        // memprof N @T.TTTs pid P: live L MB (+D MB), total A MB (R MB/s), M mallocs, F frees, rss ..., virt ..., heap ...
        let pattern = #"^memprof \d+ @\d+\.\d{3}s pid \d+: live \d+\.\d MB \([+-]\d+\.\d MB\), total \d+\.\d MB \(\d+\.\d MB/s\), \d+ mallocs, \d+ frees, rss \d+\.\d MB, virt \d+\.\d MB, heap \d+\.\d sys, \d+\.\d idle, \d+\.\d released MB"#
        for line in lines { XCTAssertNotNil(line.range(of: pattern, options: .regularExpression), String(line)) }
        // The ten 100 MB buffers are in the total, the kept one in live.
        let fields = last.split(separator: " ")
        let total = try XCTUnwrap(Double(fields[11]), String(last))
        XCTAssertGreaterThanOrEqual(total, 1000.0)
        let live = try XCTUnwrap(Double(fields[6]), String(last))
        XCTAssertGreaterThanOrEqual(live, 100.0)
        XCTAssertLessThan(live, 101.5)
    }

    func testPreloadedCProgramTraces() throws {
        // sort closes its stderr at exit, before the trace's last line: the trace keeps a copy.
        let r = try runProgram("/usr/bin/sort", ["/etc/passwd"], environment: ["MEMPROF_TRACE": "1", "LD_PRELOAD": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(traceLines(r.stderr).contains { $0.hasSuffix("(exit)") }, r.stderr)
    }

    func testForkedChildrenThatExitDoNotHang() throws {
        // A line every millisecond: children are often forked while the trace holds its lock.
        let r = try runProgram(product("memprof-workload-linked"), ["fork-exit", "40"],
                               environment: ["MEMPROF_TRACE": "1ms", "MEMPROF_PROFILE": scratch.appendingPathComponent("fork.pb.gz").path],
                               timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(traceLines(r.stderr).filter { $0.hasSuffix("(exit)") }.count, 1, "only the parent writes an exit line")
    }

    func testUnderMemprofRunOneStreamWhoseExitLineAgreesWithTheSummary() throws {
        // The program links the hook and runs under the preloaded one too: only the child's
        // active copy traces, each line once; memprof itself does not trace; the parent
        // writes the exit line from the final counters, so it agrees with the summary.
        let json = scratch.appendingPathComponent("trace-run.json").path
        let r = try runProgram(product("memprof"), ["run", "--summary-json", json, "--", product("memprof-workload-linked"), "seed"],
                               environment: ["MEMPROF_TRACE": "50ms", "MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = traceLines(r.stderr)
        XCTAssertGreaterThanOrEqual(lines.count, 2, r.stderr)
        let pids = Set(lines.map { $0.split(separator: " ")[4] })
        XCTAssertEqual(pids.count, 1, "one stream: \(r.stderr)")
        let numbers = lines.map { Int($0.split(separator: " ")[1])! }
        XCTAssertEqual(numbers, Array(1...lines.count), "each line once, numbered in order: \(r.stderr)")
        let last = try XCTUnwrap(lines.last)
        XCTAssertTrue(last.hasSuffix("(exit)"), String(last))
        XCTAssertEqual(lines.filter { $0.hasSuffix("(exit)") }.count, 1)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let fields = last.split(separator: " ")
        let mallocs = try XCTUnwrap(fields.firstIndex(of: "mallocs,").map { UInt64(fields[$0 - 1]) } ?? nil, String(last))
        let frees = try XCTUnwrap(fields.firstIndex(of: "frees,").map { UInt64(fields[$0 - 1]) } ?? nil, String(last))
        XCTAssertEqual(mallocs, uint(summary["allocations"]), String(last))
        XCTAssertEqual(frees, uint(summary["frees"]), String(last))
        XCTAssertFalse(last.contains("rss 0.0 MB"), "sizes measured at the child's exit: \(last)")
    }

    func testTraceOffByDefaultAndForBadValues() throws {
        for value in ["", "0", "nonsense", "-5s"] {
            let r = try runProgram(product("memprof-workload-linked"), ["none"], environment: ["MEMPROF_TRACE": value])
            XCTAssertEqual(traceLines(r.stderr), [], "MEMPROF_TRACE=\(value)")
        }
    }
}
