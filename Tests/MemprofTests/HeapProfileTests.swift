#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Memprof
import MemprofProfile
import XCTest

/// The sampling profiler in this process: exact at rate 1, blocks leave inuse when freed,
/// and what it writes is read by go tool pprof with the same totals.
final class HeapProfileTests: XCTestCase {
    private var savedRate: Int64 = 0
    override func setUp() { savedRate = HeapProfile.samplingRate }
    override func tearDown() { HeapProfile.samplingRate = savedRate }

    /// Sums one value over the samples whose stack has a function whose name contains `name`.
    private func total(_ profile: Profile, function name: String, index: Int) -> Int64 {
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        return profile.samples.filter { sample in
            sample.locationIDs.contains { id in
                locations[id]?.lines.contains { functions[$0.functionID]?.contains(name) == true } == true
            }
        }.reduce(0) { $0 + $1.values[index] }
    }

    func testRateOneRecordsEveryAllocationAndFreesLeaveInuse() throws {
        HeapProfile.samplingRate = 1
        let blocks = UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>.allocate(capacity: 200)
        defer { blocks.deallocate() }
        let name = "fillBlocksForProfileTest"
        let before = try HeapProfile.snapshot()
        fillBlocksForProfileTest(blocks, size: 1234)
        // glibc may hand out a chunk a little larger than asked: sizes come from the blocks.
        let usable = blocks.reduce(0) { $0 + Int64(malloc_usable_size($1)) }
        let during = try HeapProfile.snapshot()
        XCTAssertEqual(during.sampleTypes.map(\.type), ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space",
                                                        "temporary_objects", "temporary_space"])
        XCTAssertEqual(during.defaultSampleType, "inuse_space", "Go's tools open /heap on inuse_space")
        XCTAssertEqual(during.periodType, ValueType(type: "space", unit: "bytes"))
        XCTAssertEqual(during.period, 1)
        func delta(_ index: Int) -> Int64 { total(during, function: name, index: index) - total(before, function: name, index: index) }
        XCTAssertEqual(delta(0), 200)
        XCTAssertEqual(delta(1), usable)
        XCTAssertEqual(delta(2), 200)
        XCTAssertEqual(delta(3), usable)
        for p in blocks { free(p) }
        let after = try HeapProfile.snapshot()
        XCTAssertEqual(total(after, function: name, index: 0) - total(before, function: name, index: 0), 200, "alloc stays")
        XCTAssertEqual(total(after, function: name, index: 2), 0, "freed: no longer inuse")
        XCTAssertEqual(total(after, function: name, index: 3), 0)
        // The allocating function is on top: malloc plumbing and the profiler are not in stacks.
        let names = Set(after.functions.map(\.name))
        XCTAssertFalse(names.contains { $0.hasPrefix("memprof_") || $0 == "malloc" }, "\(names.filter { $0.hasPrefix("memprof") })")
        let top = try XCTUnwrap(after.samples.first { s in
            after.locations.first { $0.id == s.locationIDs.first }?.lines.contains { l in
                after.functions.first { $0.id == l.functionID }?.name.contains(name) == true } == true
        })
        XCTAssertGreaterThan(top.values[0], 0, "the filling function is the leaf of its samples")
    }

    func testFunctionsCarryDemangledAndMangledNamesAndLines() throws {
        HeapProfile.samplingRate = 1
        let blocks = allocateBlocksForProfileTest(count: 3, size: 64)
        defer { blocks.forEach { free($0) } }
        let profile = try HeapProfile.snapshot()
        let f = try XCTUnwrap(profile.functions.first { $0.name.contains("allocateBlocksForProfileTest") })
        XCTAssertTrue(f.systemName.hasPrefix("$s"), f.systemName)
        XCTAssertTrue(f.filename.hasSuffix("HeapProfileTests.swift"), f.filename)
        XCTAssertGreaterThan(profile.timeNanos, 0)
        XCTAssertTrue(profile.mappings.first?.buildID.count == 40, "build ID of the test binary")
        let sample = try XCTUnwrap(profile.samples.first { !$0.locationIDs.isEmpty })
        XCTAssertNotNil(sample.numericLabels["bytes"])
    }

    func testGoToolPprofReadsTheProfileWithTheSameTotals() throws {
        let go = "/usr/bin/go"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: go), "go tool pprof is installed by .ci/run")
        HeapProfile.samplingRate = 4096
        let blocks = allocateBlocksForProfileTest(count: 2000, size: 3000)
        defer { blocks.forEach { free($0) } }
        let path = NSTemporaryDirectory() + "memprof-heap-\(getpid()).pb.gz"
        defer { unlink(path) }
        try HeapProfile.write(to: path)
        let ours = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let raw = try runGo(["tool", "pprof", "-raw", path])
        // -raw lists each sample as "  v1 v2 v3 v4 v5 v6: location ids".
        let types = ours.sampleTypes.count
        var sums = [Int64](repeating: 0, count: types)
        var inSamples = false
        for line in raw.split(separator: "\n") {
            if line.hasPrefix("Samples:") { inSamples = true; continue }
            if line.hasPrefix("Locations") { break }
            guard inSamples, let colon = line.firstIndex(of: ":"), !line.contains("bytes:[") else { continue }
            let values = line[..<colon].split(separator: " ").compactMap { Int64($0) }
            if values.count == types { for i in 0..<types { sums[i] += values[i] } }
        }
        for i in 0..<types {
            XCTAssertEqual(sums[i], ours.samples.reduce(0) { $0 + $1.values[i] }, "sample type \(i)")
        }
        XCTAssertGreaterThan(sums[1], 0)
    }

    func testLegacyTextHasGoHeaderAndMemStats() throws {
        HeapProfile.samplingRate = 1
        let blocks = allocateBlocksForProfileTest(count: 10, size: 100)
        defer { blocks.forEach { free($0) } }
        let text = try HeapProfile.legacyText()
        XCTAssertTrue(text.hasPrefix("heap profile: "), String(text.prefix(80)))
        XCTAssertTrue(text.contains("@ heap/2"), "rate 1 is written as heap/2, as Go does")
        XCTAssertTrue(text.contains("# runtime.MemStats"))
        XCTAssertTrue(text.contains("allocateBlocksForProfileTest"))
    }

    func testWriteIsAtomicAndReportsErrors() throws {
        XCTAssertThrowsError(try HeapProfile.write(to: "/nonexistent-dir/heap.pb.gz")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent-dir/heap.pb.gz"), "\(error)")
        }
        let path = NSTemporaryDirectory() + "memprof-atomic-\(getpid()).pb.gz"
        defer { unlink(path) }
        try HeapProfile.write(to: path)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("memprof-atomic-\(getpid()).pb.gz.tmp") }
        XCTAssertEqual(leftovers, [])
        XCTAssertNoThrow(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
    }

    private func runGo(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/go")
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["GOCACHE"] = NSTemporaryDirectory() + "memprof-gocache"
        env["HOME"] = NSTemporaryDirectory()
        env["PPROF_TMPDIR"] = NSTemporaryDirectory()
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }
}

@inline(never)
func allocateBlocksForProfileTest(count: Int, size: Int) -> [UnsafeMutableRawPointer] {
    var blocks: [UnsafeMutableRawPointer] = []
    blocks.reserveCapacity(count)
    for _ in 0..<count { blocks.append(malloc(size)!) }
    return blocks
}

@inline(never)
func fillBlocksForProfileTest(_ blocks: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>, size: Int) {
    for i in blocks.indices { blocks[i] = malloc(size) }
}
