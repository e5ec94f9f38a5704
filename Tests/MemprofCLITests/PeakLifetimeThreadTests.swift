import Foundation
import MemprofProfile
import XCTest

/// Beyond Go's heap profile: the heap at its peak, temporary allocations and lifetimes, and
/// the allocating thread, for a program run under `memprof run` (no code change).
final class PeakLifetimeThreadTests: XCTestCase {
    private func load(_ path: String) throws -> Profile {
        try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func index(_ p: Profile, _ type: String) throws -> Int {
        try XCTUnwrap(p.sampleTypes.firstIndex { $0.type == type }, "no \(type) in \(p.sampleTypes.map(\.type))")
    }

    /// Sum of one sample type over samples whose leaf function's name contains `name`.
    private func flat(_ p: Profile, _ name: String, _ type: String) throws -> Int64 {
        leafTotal(p, name, index: try index(p, type))
    }

    private func run(_ workload: [String], rate: Int?, extra: [String] = []) throws -> (String, Completed) {
        let out = scratch.appendingPathComponent("plt-\(UUID().uuidString).pb.gz").path
        var args = ["run", "-o", out] + extra
        if let rate { args += ["--rate", String(rate)] }
        let r = try runProgram(product("memprof"), args + ["--", product("memprof-workload")] + workload,
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (out, r)
    }

    func testPeakProfileShowsWhatWasLiveAtThePeak() throws {
        let peakPath = scratch.appendingPathComponent("peak-\(UUID().uuidString).pb.gz").path
        let (atExit, r) = try run(["peak"], rate: 1, extra: ["--peak-profile", peakPath])
        XCTAssertTrue(r.stderr.contains("the heap at its peak"), r.stderr)
        let peak = try load(peakPath)
        let mib = Double(1 << 20)
        XCTAssertEqual(peak.defaultSampleType, "inuse_space")
        XCTAssertEqual(Double(try flat(peak, "buildReport", "inuse_space")), 96 * mib, accuracy: 0.03 * 96 * mib)
        XCTAssertEqual(Double(try flat(peak, "keepSessions", "inuse_space")), 24 * mib, accuracy: 0.03 * 24 * mib)
        // At exit only the sessions are live.
        let exit = try load(atExit)
        XCTAssertLessThan(try flat(exit, "buildReport", "inuse_space"), 1024, "all of the report was freed")
        XCTAssertEqual(Double(try flat(exit, "keepSessions", "inuse_space")), 24 * mib, accuracy: 0.03 * 24 * mib)
        // go tool pprof reads it.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/go") {
            let top = try runProgram("/usr/bin/go", ["tool", "pprof", "-top", "-sample_index=inuse_space", peakPath])
            XCTAssertEqual(top.status, 0, top.stderr)
            XCTAssertTrue(top.stdout.contains("buildReport"), top.stdout)
        }
    }

    func testPeakProfileAtTheDefaultRateIsWithinSamplingError() throws {
        let peakPath = scratch.appendingPathComponent("peak-d-\(UUID().uuidString).pb.gz").path
        _ = try run(["peak"], rate: nil, extra: ["--peak-profile", peakPath])
        let peak = try load(peakPath)
        let mib = Double(1 << 20)
        // 96 MiB at one sample per 512 KiB: about 190 samples, sd about 7%.
        XCTAssertEqual(Double(try flat(peak, "buildReport", "inuse_space")), 96 * mib, accuracy: 0.3 * 96 * mib)
        XCTAssertEqual(Double(try flat(peak, "keepSessions", "inuse_space")), 24 * mib, accuracy: 0.6 * 24 * mib)
    }

    func testTemporariesAndLifetimes() throws {
        let (path, _) = try run(["temporaries", "20000"], rate: 1)
        let p = try load(path)
        XCTAssertEqual(try flat(p, "churnTemporaries", "temporary_objects"), 20_000)
        XCTAssertEqual(try flat(p, "churnTemporaries", "temporary_space"), try flat(p, "churnTemporaries", "alloc_space"))
        XCTAssertEqual(try flat(p, "keepToExit", "temporary_objects"), 0)
        XCTAssertEqual(try flat(p, "keepToExit", "inuse_objects"), 100)
        // Every sample has a lifetime: the kept blocks are `live`, the temporaries short.
        let functions = Dictionary(uniqueKeysWithValues: p.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: p.locations.map { ($0.id, $0) })
        var lifetimes = Set<String>()
        for s in p.samples {
            guard let leaf = s.locationIDs.first, let line = locations[leaf]?.lines.first,
                  functions[line.functionID]?.contains("keepToExit") == true else { continue }
            lifetimes.formUnion(s.labels["lifetime"] ?? [])
        }
        XCTAssertEqual(lifetimes, ["live"])
        // The default type is still Go's, for go tool pprof, Pyroscope and Parca.
        XCTAssertEqual(p.defaultSampleType, "inuse_space")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/go") {
            let top = try runProgram("/usr/bin/go", ["tool", "pprof", "-top", "-sample_index=temporary_objects", path])
            XCTAssertEqual(top.status, 0, top.stderr)
            XCTAssertTrue(top.stdout.contains("churnTemporaries"), top.stdout)
        }
    }

    func testEveryThreadIsLabelled() throws {
        let (path, _) = try run(["mt-churn", "2000"], rate: 1)
        let p = try load(path)
        let threads = Set(p.samples.flatMap { $0.labels["thread"] ?? [] })
        XCTAssertTrue(threads.contains("main"), "\(threads)")
        XCTAssertEqual(threads.filter { $0.hasPrefix("tid-") }.count, 8, "\(threads)")
        XCTAssertTrue(p.samples.allSatisfy { $0.labels["thread"]?.count == 1 }, "one thread label on every sample")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/go") {
            let tags = try runProgram("/usr/bin/go", ["tool", "pprof", "-tags", path])
            XCTAssertEqual(tags.status, 0, tags.stderr)
            XCTAssertTrue(tags.stdout.contains("thread: Total"), tags.stdout)
        }
    }
}

extension PeakLifetimeThreadTests {
    func testLifetimesCommandSummarisesEachSite() throws {
        let (path, _) = try run(["temporaries", "20000"], rate: 1)
        let r = try runProgram(product("memprof"), ["lifetimes", "-n", "0", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("churnTemporaries") }, r.stdout)
        let fields = row.split(separator: " ")
        XCTAssertEqual(fields[0], "20000", String(row))   // allocated
        XCTAssertEqual(fields[1], "20000", String(row))   // freed
        XCTAssertEqual(fields[2], "0", String(row))       // live
        XCTAssertEqual(fields[3], "100.0%", String(row))  // temporaries
        let kept = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("keepToExit") }, r.stdout)
        XCTAssertEqual(kept.split(separator: " ")[2], "100", String(kept))
        // Go's profiles have no lifetimes: a clear error.
        let go = packageRoot.appendingPathComponent("Tests/MemprofProfileTests/Fixtures/go").path
        if let fixture = try FileManager.default.contentsOfDirectory(atPath: go).first(where: { $0.hasSuffix(".pb.gz") }) {
            let g = try runProgram(product("memprof"), ["lifetimes", go + "/" + fixture])
            XCTAssertNotEqual(g.status, 0)
            XCTAssertTrue(g.stderr.contains("no lifetime labels"), g.stderr)
        }
    }
}

extension PeakLifetimeThreadTests {
    func testTagfocusOnThreadsMatchesGoToolPprof() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/go"), ".ci/run installs golang-go")
        let (path, _) = try run(["mt-churn", "2000"], rate: 1)
        for filter in ["thread=main", "thread=tid-.*", "tid"] {
            let ours = try runProgram(product("memprof"), ["top", "--tagfocus", filter, "--alloc_space", path])
            let go = try runProgram("/usr/bin/go", ["tool", "pprof", "-top", "-tagfocus=" + filter, "-sample_index=alloc_space", path])
            XCTAssertEqual(ours.status, 0, ours.stderr)
            XCTAssertEqual(go.status, 0, go.stderr)
            // Same rows (the header's file name and time lines aside).
            func rows(_ s: String) -> [Substring] { s.split(separator: "\n").filter { $0.contains("%") } }
            XCTAssertEqual(rows(ours.stdout), rows(go.stdout), filter)
            XCTAssertFalse(rows(ours.stdout).isEmpty, filter)
        }
    }
}

extension PeakLifetimeThreadTests {
    func testTemporariesAndThreadsAtTheDefaultRate() throws {
        // 200,000 temporaries of 1000 bytes: about 380 samples at 512 KiB, sd about 5%.
        let (path, _) = try run(["temporaries", "200000"], rate: nil)
        let p = try load(path)
        XCTAssertEqual(Double(try flat(p, "churnTemporaries", "temporary_objects")), 200_000, accuracy: 50_000)
        XCTAssertEqual(try flat(p, "keepToExit", "temporary_objects"), 0)
        // 8 threads each allocating about 400 MB: every one is sampled and labelled.
        let (threaded, _) = try run(["mt-churn", "200000"], rate: nil)
        let labels = Set(try load(threaded).samples.flatMap { $0.labels["thread"] ?? [] })
        XCTAssertEqual(labels.filter { $0.hasPrefix("tid-") }.count, 8, "\(labels)")
    }
}
