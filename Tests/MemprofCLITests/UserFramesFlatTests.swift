import Foundation
import MemprofProfile
import MemprofSymbolication
import XCTest

/// The flat column blames the user's code, as Go's does (it trims runtime.mallocgc and
/// makeslice): the Swift runtime and standard library are trimmed from the leaf end, and
/// `memprof top -n N` shows the rows of `go tool pprof -top -nodecount=N`.
final class UserFramesFlatTests: XCTestCase {
    private func profile(_ workload: String, arguments: [String] = [], extra: [String] = []) throws -> String {
        let out = scratch.appendingPathComponent("flat-\(workload)-\(UUID().uuidString).pb.gz").path
        let r = try runProgram(product("memprof"), ["run", "--rate", "1", "-o", out] + extra
                               + ["--", product("memprof-workload"), workload] + arguments,
                               environment: ["MEMPROF_PRELOAD_LIB": hookCopy])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    /// Leaf function names of the samples holding at least 1% of alloc_space.
    private func heavyLeaves(_ path: String) throws -> Set<String> {
        let p = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let functions = Dictionary(uniqueKeysWithValues: p.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: p.locations.map { ($0.id, $0) })
        let total = p.samples.reduce(Int64(0)) { $0 + $1.values[1] }
        var byLeaf: [String: Int64] = [:]
        for s in p.samples {
            let name = s.locationIDs.first.flatMap { locations[$0]?.lines.first }.flatMap { functions[$0.functionID] } ?? "?"
            byLeaf[name, default: 0] += s.values[1]
        }
        return Set(byLeaf.filter { $0.value * 100 >= total }.keys)
    }

    func testSeedAndMultiSiteProgramsBlameTheUsersFunctions() throws {
        let seed = try heavyLeaves(try profile("seed"))
        XCTAssertTrue(seed.contains { $0.contains("bigBytes") }, "\(seed)")
        XCTAssertFalse(seed.contains { $0.hasPrefix("Swift.") || $0.contains("_allocateUninitialized") || $0.hasPrefix("swift_") },
                       "\(seed)")
        let multi = try heavyLeaves(try profile("peak"))
        XCTAssertTrue(multi.contains { $0.contains("buildReport") } && multi.contains { $0.contains("keepSessions") }, "\(multi)")
        XCTAssertFalse(multi.contains { $0.hasPrefix("Swift.") || $0.hasPrefix("swift_") }, "\(multi)")
        // Arrays and strings: their storage is charged to the user's function, and one switch
        // away the runtime's frames are kept. (seed's bigBytes calls malloc itself: it has no
        // runtime frames to keep; the check once passed only on a `-> Swift.` return type.)
        let churn = try heavyLeaves(try profile("churn", arguments: ["20000"]))
        XCTAssertTrue(churn.contains { $0.contains("Workloads.churn") }, "\(churn)")
        XCTAssertFalse(churn.contains { $0.hasPrefix("Swift.") || $0.hasPrefix("swift_") }, "\(churn)")
        let kept = try heavyLeaves(try profile("churn", arguments: ["20000"], extra: ["--keep-runtime-frames"]))
        XCTAssertTrue(kept.contains { $0.hasPrefix("Swift.") }, "\(kept)")
        XCTAssertFalse(kept.contains { $0.contains("Workloads.churn(iterations:)") && !$0.contains(" in ") }, "\(kept)")
    }

    func testTopNShowsTheRowsOfGoToolPprof() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/go"), ".ci/run installs golang-go")
        let path = try profile("peak")
        for n in [1, 3, 5] {
            for names in [[], ["--full-names"]] {
                let ours = try runProgram(product("memprof"), ["top", "-n", String(n), "--alloc_space"] + names + [path])
                let go = try runProgram("/usr/bin/go", ["tool", "pprof", "-top", "-nodecount=\(n)", "-sample_index=alloc_space", path])
                XCTAssertEqual(ours.status, 0, ours.stderr)
                // The rows' figures, in order (names aside: --full-names shows signatures).
                func figures(_ s: String) -> [String] {
                    s.split(separator: "\n").filter { $0.contains("%") && !$0.contains("Showing") }
                        .map { $0.split(separator: " ").prefix(5).joined(separator: " ") }
                }
                XCTAssertEqual(figures(ours.stdout), figures(go.stdout), "-n \(n) \(names)")
                if names.isEmpty { XCTAssertEqual(ours.stdout.split(separator: "\n").filter { $0.contains("%") },
                                                           go.stdout.split(separator: "\n").filter { $0.contains("%") }) }
            }
        }
    }
}

extension UserFramesFlatTests {
    func testWhatCountsAsTheSwiftRuntime() {
        for name in ["Swift.Array.append(_:)", "static Swift.Array._allocateUninitialized(Swift.Int) -> ([A], Builtin.RawPointer)",
                     "generic specialization <Swift.UInt8> of Swift.Array.init(repeating: A, count: Swift.Int) -> [A]",
                     "merged generic specialization <Swift.UInt8> of Swift.Array.init(repeating: A, count: Swift.Int) -> [A]",
                     "closure #1 in Swift.Array.map<A>((A) throws -> B) throws -> [B]", "swift_allocObject",
                     "(extension in Swift):Swift.Sequence.map<A>((A.Element) throws -> B) throws -> [B]",
                     "void swift::ConcurrentReadableHashMap<swift::HashMapElementWrapper<swift::GenericCacheEntry>, swift::Mutex>::getOrInsert()",
                     "protocol witness for Swift.Sequence.makeIterator() -> A.Iterator in conformance Swift.Array<A> : Swift.Sequence in Swift"] {
            XCTAssertTrue(AllocatorFrames.isSwiftRuntime(name), name)
        }
        for name in ["memprof_demo.bigBytes() -> [Swift.UInt8]", "closure #1 in App.handle(request: App.Request) -> Swift.Int",
                     "Foundation.JSONEncoder.encode<A>(A) throws -> Foundation.Data", "NIOCore.ByteBuffer.reserveCapacity(Swift.Int) -> ()",
                     "_IO_file_doallocate", "main", "std::vector<int, std::allocator<int> >::push_back(int const&)"] {
            XCTAssertFalse(AllocatorFrames.isSwiftRuntime(name), name)
        }
    }
}
