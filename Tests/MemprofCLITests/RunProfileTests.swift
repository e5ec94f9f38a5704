import Foundation
import MemprofProfile
import XCTest

/// `memprof run -o`: the profile of an unmodified program, checked against the seed
/// program's known allocations and read back by go tool pprof.
final class RunProfileTests: XCTestCase {
    private func profile(_ path: String) throws -> Profile {
        try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func flat(_ p: Profile, _ name: String, index: Int) -> Int64 { leafTotal(p, name, index: index) }

    private func runSeed(rate: Int?) throws -> Profile {
        let out = scratch.appendingPathComponent("seed-\(rate ?? 0)-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var args = ["run", "-o", out]
        if let rate { args += ["--rate", String(rate)] }
        let r = try runProgram(product("memprof"), args + ["--", product("memprof-workload"), "seed"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("bigBytes"), "the summary names the top site: \(r.stderr)")
        return try profile(out)
    }

    func testSeedAtRateOneIsWithinOnePercent() throws {
        let p = try runSeed(rate: 1)
        let alloc = flat(p, "bigBytes", index: 1)
        XCTAssertEqual(Double(alloc), 1_000_000_000, accuracy: 10_000_000, "alloc_space of bigBytes")
        XCTAssertEqual(flat(p, "bigBytes", index: 0), 10)
        // The one kept buffer is in use; the nine freed ones are not.
        XCTAssertEqual(flat(p, "bigBytes", index: 2), 1)
        XCTAssertEqual(Double(flat(p, "bigBytes", index: 3)), 100_000_000, accuracy: 1_000_000)
    }

    /// The summary's top sites name a leaf without a symbol (a stripped library's static
    /// function, such as libstdc++'s start-up pool) by its file, as pprof does, never
    /// "(unknown)" when the profile knows the mapping.
    func testSummaryNamesUnsymbolizedLeavesByTheirFile() throws {
        let out = scratch.appendingPathComponent("none-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out, "--", product("memprof-workload"), "none"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try profile(out)
        var files: [UInt64: String] = [:]
        for m in p.mappings { files[m.id] = m.file }
        var locations: [UInt64: Location] = [:]
        for l in p.locations { locations[l.id] = l }
        let unnamed = Set(p.samples.compactMap { $0.locationIDs.first.flatMap { locations[$0] } }
            .filter { $0.lines.isEmpty }
            .compactMap { files[$0.mappingID] }.filter { !$0.isEmpty })
        let sites = r.stderr.split(separator: "\n").filter { $0.hasPrefix("    ") && $0.contains("B ") }
        XCTAssertFalse(sites.isEmpty, r.stderr)
        XCTAssertFalse(sites.contains { $0.hasSuffix("(unknown)") }, r.stderr)
        // The program allocates nothing itself: the start-up allocations are the top sites,
        // and here the largest is libstdc++'s pool, in a function its stripped file does not name.
        let bracketed = unnamed.map { "[" + ($0.split(separator: "/").last.map(String.init) ?? $0) + "]" }
        if !bracketed.isEmpty {
            XCTAssertTrue(sites.contains { site in bracketed.contains { site.hasSuffix($0) } },
                          "none of \(bracketed) among the top sites: \(r.stderr)")
        }
    }

    func testSeedAtDefaultRateIsWithinTenPercent() throws {
        let p = try runSeed(rate: nil)
        XCTAssertEqual(p.period, 524_288)
        XCTAssertEqual(Double(flat(p, "bigBytes", index: 1)), 1_000_000_000, accuracy: 100_000_000)
        XCTAssertEqual(Double(flat(p, "bigBytes", index: 3)), 100_000_000, accuracy: 10_000_000)
    }

    func testGoToolPprofReadsARunProfile() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/go"), ".ci/run installs golang-go")
        let out = scratch.appendingPathComponent("run-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runProgram(product("memprof"), ["run", "-o", out, "--rate", "65536", "--", product("memprof-workload"), "churn", "100000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let top = try runProgram("/usr/bin/go", ["tool", "pprof", "-top", "-sample_index=alloc_space", out],
                                 environment: ["HOME": scratch.path, "GOCACHE": scratch.appendingPathComponent("gocache").path,
                                               "PPROF_TMPDIR": scratch.path])
        XCTAssertEqual(top.status, 0, top.stderr)
        XCTAssertTrue(top.stdout.contains("Type: alloc_space"), top.stdout)
        XCTAssertTrue(top.stdout.contains("churn"), "the Swift function is named: \(top.stdout)")
    }

    func testProfileDumpsFromTheEnvironment() throws {
        let base = scratch.appendingPathComponent("dump-\(UUID().uuidString).pb.gz").path
        let r = try runProgram(product("memprof-workload-linked"), ["signal-dump"], environment: [
            "MEMPROF_PROFILE": base, "MEMPROF_PROFILE_SIGNAL": "USR2", "MEMPROF_PROFILE_THRESHOLD": "5MB",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let dir = (base as NSString).deletingLastPathComponent
        let stem = ((base as NSString).lastPathComponent as NSString).deletingPathExtension
        let stemBase = (stem as NSString).deletingPathExtension
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(stemBase + ".") }.sorted()
        defer { files.forEach { try? FileManager.default.removeItem(atPath: dir + "/" + $0) } }
        // Threshold crossing, then the signal, then exit: three numbered files.
        XCTAssertEqual(files.count, 3, "\(files)")
        for file in files {
            XCTAssertTrue(file.hasSuffix(".pb.gz") && file.contains(".1.") || file.contains(".2.") || file.contains(".3."), file)
            let p = try profile(dir + "/" + file)
            XCTAssertGreaterThanOrEqual(p.samples.reduce(0) { $0 + $1.values[3] }, 5_000_000, "the 10 MB block is in use in \(file)")
        }
    }

    func testCountsStayExactWithSamplingOn() throws {
        let workload = product("memprof-workload")
        let out = scratch.appendingPathComponent("threads-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let json = scratch.appendingPathComponent("threads-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let sameLength = scratch.appendingPathComponent("ind-\(UUID().uuidString)").path
        let r = try runProgram(product("memprof"), ["run", "--summary-json", json, "-o", out, "--rate", "4096", "--",
                                                    workload, "threads", "20000"],
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy, "INDEPENDENT_COUNTER_OUT": sameLength,
                                             "MEMPROF_RATE": "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let (allocs, frees, _) = try independentCounts(workload, ["threads", "20000"])
        // glibc allocates a thread's TLS vector when it makes a new stack and frees one when
        // its stack cache overflows; which happens depends on thread timing, so two runs of
        // a threaded program may differ by a block or two. The counting itself is exact
        // (ConcurrentCountsTests checks every thread's counts exactly).
        XCTAssertEqual(Double(uint(summary["allocations"])), Double(allocs), accuracy: 3)
        XCTAssertEqual(Double(uint(summary["frees"])), Double(frees), accuracy: 3)
        let p = try profile(out)
        XCTAssertGreaterThan(p.samples.count, 10)
    }
}
