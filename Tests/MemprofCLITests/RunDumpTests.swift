import Foundation
import MemprofProfile
import XCTest

/// `memprof run --threshold SIZE` and `--signal NAME`: the parent writes heap profiles from
/// the shared state while the program runs, for any program (here one that does not link
/// Memprof, so nothing in it could write a profile).
final class RunDumpTests: XCTestCase {
    private func inuseBytes(_ path: String) throws -> Int64 {
        let p = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return p.samples.reduce(0) { $0 + $1.values[3] }
    }

    /// The program's pid, from the summary's "(pid N)".
    private func childPid(_ stderr: String) throws -> String {
        try XCTUnwrap(stderr.range(of: #"\(pid (\d+)\)"#, options: .regularExpression).map {
            String(stderr[$0].dropFirst(5).dropLast())
        }, stderr)
    }

    private func dumps(_ base: String, pid: String) -> [String] {
        let dir = (base as NSString).deletingLastPathComponent
        let stem = ((base as NSString).lastPathComponent as NSString).deletingPathExtension  // "x.pb"
        let prefix = (stem as NSString).deletingPathExtension + ".\(pid)."
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix(prefix) }.sorted().map { dir + "/" + $0 }
    }

    func testThresholdWritesOneProfileWhileTheHeapGrows() throws {
        let dir = scratch.appendingPathComponent("threshold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let base = dir.appendingPathComponent("heap.pb.gz").path
        let r = try runProgram(product("memprof"), ["run", "--threshold", "40MiB", "-o", base, "--",
                                                    product("memprof-workload"), "grow", "100"],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("while the program runs"), r.stderr)
        let pid = try childPid(r.stderr)
        let written = dumps(base, pid: pid)
        XCTAssertEqual(written.count, 1, "one threshold profile: \(written), \(r.stderr)")
        // Written when the heap had just crossed 40 MiB, well before it reached 100 MiB.
        let inuse = try inuseBytes(try XCTUnwrap(written.first))
        XCTAssertGreaterThan(inuse, 30 << 20, "\(inuse)")
        XCTAssertLessThan(inuse, 90 << 20, "\(inuse)")
        // The profile at exit has all 100 MiB.
        XCTAssertGreaterThan(try inuseBytes(base), 90 << 20)
    }

    func testSignalToTheProgramWritesAProfile() throws {
        // signal-dump raises SIGUSR2 in the program itself: without the hook's handler
        // (installed because memprof run asked for it) the signal would kill it.
        let dir = scratch.appendingPathComponent("signal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let base = dir.appendingPathComponent("sig.pb.gz").path
        let r = try runProgram(product("memprof"), ["run", "--signal", "USR2", "-o", base, "--",
                                                    product("memprof-workload"), "signal-dump", "500"],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        let pid = try childPid(r.stderr)
        let written = dumps(base, pid: pid)
        XCTAssertEqual(written.count, 1, "\(written), \(r.stderr)")
        // The 10 MB block the program keeps is in it.
        XCTAssertGreaterThan(try inuseBytes(try XCTUnwrap(written.first)), 8_000_000)
    }

    func testBadSizesAndSignalsAreClearErrors() throws {
        let size = try runProgram(product("memprof"), ["run", "--threshold", "lots", "--", "/bin/true"])
        XCTAssertNotEqual(size.status, 0)
        XCTAssertTrue(size.stderr.contains("--threshold lots is not a size"), size.stderr)
        let signal = try runProgram(product("memprof"), ["run", "--signal", "NOPE", "--", "/bin/true"])
        XCTAssertNotEqual(signal.status, 0)
        XCTAssertTrue(signal.stderr.contains("--signal NOPE is not a signal"), signal.stderr)
    }
}
