import Foundation
import XCTest

/// The type census (`memprof run --types`, MEMPROF_TYPES=1, TypeCensus.enable()) against a
/// workload whose objects are known: 10,000 Customer made and 3,000 kept (2,000 of the others
/// released by another thread), 12,000 Order kept in one array, 5,000 Box<Int> kept, and the
/// four arrays' storage (arrays of class references use `_ContiguousArrayStorage<AnyObject>`),
/// 100 closures over a boxed Int and 50 over a variable of generic type (boxes of swift_allocBox).
final class TypeCensusTests: XCTestCase {
    private struct Row: Equatable {
        var allocations: UInt64
        var liveObjects: Int64
        var allocatedBytes: UInt64
        var liveBytes: Int64
    }

    private func rows(_ types: Any?) -> [String: Row] {
        var out: [String: Row] = [:]
        for case let t as [String: Any] in (types as? [Any]) ?? [] {
            out[t["name"] as! String] = Row(allocations: uint(t["allocations"]),
                                            liveObjects: (t["live_objects"] as! NSNumber).int64Value,
                                            allocatedBytes: uint(t["allocated_bytes"]),
                                            liveBytes: (t["live_bytes"] as! NSNumber).int64Value)
        }
        return out
    }

    private func assertWorkloadCensus(_ types: [String: Row], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        func check(_ name: String, allocations: UInt64, live: Int64, liveBytes: Int64? = nil) {
            guard let r = types["MemprofWorkloads." + name] ?? types[name] else {
                return XCTFail("\(context): no \(name) in \(types.keys.sorted())", file: file, line: line)
            }
            XCTAssertEqual(r.allocations, allocations, "\(context): \(name) allocations", file: file, line: line)
            XCTAssertEqual(r.liveObjects, live, "\(context): \(name) live objects", file: file, line: line)
            if let liveBytes { XCTAssertEqual(r.liveBytes, liveBytes, "\(context): \(name) live bytes", file: file, line: line) }
        }
        // 24-byte objects (16-byte header + one Int) take 24 usable bytes.
        check("Customer", allocations: 10_000, live: 3_000, liveBytes: 3_000 * 24)
        check("Order", allocations: 12_000, live: 12_000)
        check("Box<Swift.Int>", allocations: 5_000, live: 5_000, liveBytes: 5_000 * 24)
        check("Swift._ContiguousArrayStorage<Swift.AnyObject>", allocations: 4, live: 4)
        // 50 closures over a variable of generic type: boxes made by swift_allocBox.
        check("(box) Swift.String", allocations: 50, live: 50)
        if let contexts = types["(closure context or box)"] {
            // 100 closures with a boxed Int (a box and a context each, unless the compiler
            // folds them), and the 50 generic closures' contexts: all kept.
            XCTAssertGreaterThanOrEqual(contexts.allocations, 150, context, file: file, line: line)
            XCTAssertEqual(contexts.liveObjects, Int64(contexts.allocations), context, file: file, line: line)
        } else {
            XCTFail("\(context): no closure contexts", file: file, line: line)
        }
        if let storage = types["Swift._ContiguousArrayStorage<Swift.AnyObject>"] {
            // 3,000 + 2,000 + 12,000 + 5,000 references of 8 bytes, at least.
            XCTAssertGreaterThanOrEqual(storage.liveBytes, 22_000 * 8, context, file: file, line: line)
        }
        if let orders = types["MemprofWorkloads.Order"] {
            XCTAssertEqual(orders.liveBytes, Int64(orders.allocatedBytes), "\(context): every Order is live", file: file, line: line)
            XCTAssertGreaterThanOrEqual(orders.allocatedBytes, 12_000 * 32, context, file: file, line: line)
        }
    }

    private func runTypes(_ command: [String], environment: [String: String] = [:]) throws -> ([String: Any], Completed) {
        let json = scratch.appendingPathComponent("types-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try runProgram(product("memprof"), ["run", "--types", "--summary-json", json, "--"] + command, environment: environment)
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any], r)
    }

    func testPreloadedCensusIsExact() throws {
        let (summary, r) = try runTypes([product("memprof-workload"), "census"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertWorkloadCensus(rows(summary["types"]), "preloaded")
        XCTAssertEqual(uint((summary["types_untyped"] as? [String: Any])?["allocations"]), 0)
        // The text summary names the top types by live bytes, Order first.
        let lines = r.stderr.split(separator: "\n")
        let header = try XCTUnwrap(lines.firstIndex { $0.contains("top types by live bytes") }, r.stderr)
        XCTAssertTrue(lines[header + 2].hasSuffix("MemprofWorkloads.Order"), r.stderr)
    }

    func testLinkedCensusIsExact() throws {
        // The program switches the census on itself (TypeCensus.enable) and reads it in-process.
        let r = try runProgram(product("memprof-workload-linked"), ["types", "census"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["enabled"] as? Bool, true)
        XCTAssertEqual(uint(json["threads"]), 2, "the main thread and the one that released customers")
        assertWorkloadCensus(rows(json["types"]), "linked")
    }

    func testLinkedProgramUnderRunCountsIntoTheFile() throws {
        // The linked hook is the active copy: MEMPROF_TYPES=1 switches it on at start-up.
        let (summary, r) = try runTypes([product("memprof-workload-linked"), "census"], environment: ["MEMPROF_WORKLOAD_PLAIN": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertWorkloadCensus(rows(summary["types"]), "linked under memprof run")
    }

    func testNonSwiftProgramHasAnEmptyCensus() throws {
        let (summary, r) = try runTypes(["/bin/sh", "-c", "for i in 1 2 3; do echo $i; done | sort -r > /dev/null"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual((summary["types"] as? [Any])?.count, 0, r.stderr)
        XCTAssertGreaterThan(uint(summary["allocations"]), 0)
        XCTAssertTrue(r.stderr.contains("no Swift object"), r.stderr)
    }

    func testCensusIsOffByDefault() throws {
        let (summary, r) = try memprofRun([product("memprof-workload"), "census"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNil(summary["types"])
        XCTAssertFalse(r.stderr.contains("top types"))
    }

    func testExplainNamesTheTopTypes() throws {
        let r = try runProgram(product("memprof"), ["explain", "--types", "--", product("memprof-workload"), "census"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        let head = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Swift objects hold ") }, r.stdout)
        XCTAssertTrue(lines[head + 1].hasSuffix("in 12,000 objects of MemprofWorkloads.Order"), r.stdout)
        XCTAssertTrue(lines[head + 3].hasSuffix("in 5,000 objects of MemprofWorkloads.Box<Swift.Int>"), r.stdout)
        XCTAssertTrue(lines[head + 4].hasSuffix("in 3,000 objects of MemprofWorkloads.Customer"), r.stdout)
    }

    func testSampledObjectsCarryTheirTypeLabel() throws {
        let profile = scratch.appendingPathComponent("types-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let r = try runProgram(product("memprof"), ["run", "--types", "--rate", "4096", "-o", profile, "--", product("memprof-workload"), "census"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let top = try runProgram(product("memprof"), ["top", "--tagfocus", "type=MemprofWorkloads.Order", profile])
        XCTAssertEqual(top.status, 0, top.stderr)
        XCTAssertTrue(top.stdout.contains("Order.__allocating_init"), top.stdout)
        XCTAssertFalse(top.stdout.contains("Customer"), top.stdout)
        // Every live Order block is typed: the sampled inuse of the label is near 12,000 x 40 B.
        let tags = try runProgram(product("memprof"), ["top", "--tagfocus", "type=MemprofWorkloads.Box", "-sample_index", "inuse_objects", profile])
        XCTAssertEqual(tags.status, 0, tags.stderr)
        XCTAssertTrue(tags.stdout.contains("Box"), tags.stdout)
    }

    /// The Swift library of Support/census_plugin.swift, built once.
    private static let plugin: String = {
        let lib = scratch.appendingPathComponent("libcensus_plugin.so").path
        let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/census_plugin.swift").path
        let r = try? runProgram("/opt/swift/usr/bin/swiftc", ["-O", "-emit-library", "-module-name", "CensusPlugin", "-o", lib, source])
        precondition(r?.status == 0, "cannot build the census plugin: \(r?.stderr ?? "")")
        return lib
    }()

    func testClassOfALibraryLoadedAndUnloadedWithDlopen() throws {
        // 1,000 Widgets made by the library, 100 kept; the library is closed before the end,
        // so the name is taken before dlclose.
        let (summary, r) = try runTypes([product("memprof-workload"), "plugin", "1000"],
                                        environment: ["MEMPROF_WORKLOAD_PLUGIN": Self.plugin])
        XCTAssertEqual(r.status, 0, r.stderr)
        let widget = try XCTUnwrap(rows(summary["types"])["CensusPlugin.Widget"], "\(summary["types"] ?? "")")
        XCTAssertEqual(widget.allocations, 1_000)
        XCTAssertEqual(widget.liveObjects, 100)
    }

    func testObjectsMadeBeforeMainInACProgram() throws {
        let exe = scratch.appendingPathComponent("census_before_main").path
        let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/census_before_main.c").path
        let dir = (Self.plugin as NSString).deletingLastPathComponent
        let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
        let built = try runProgram(cc, ["-O2", "-o", exe, source, "-L", dir, "-lcensus_plugin", "-Wl,-rpath," + dir])
        XCTAssertEqual(built.status, 0, built.stderr)
        let (summary, r) = try runTypes([exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "50 100\n")
        let widget = try XCTUnwrap(rows(summary["types"])["CensusPlugin.Widget"], "\(summary["types"] ?? "")")
        XCTAssertEqual(widget.allocations, 1_000)
        XCTAssertEqual(widget.liveObjects, 100)
    }

    func testMoreThreadsThanTablesAreCountedAsUntyped() throws {
        // 160 threads alive at once, 100 Customer each, 10 kept: the census has 128 tables
        // (the main thread holds one), so 33 threads' objects are untyped, and said so.
        let (summary, r) = try runTypes([product("memprof-workload"), "census-threads", "160"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let customer = try XCTUnwrap(rows(summary["types"])["MemprofWorkloads.Customer"])
        let untyped = try XCTUnwrap(summary["types_untyped"] as? [String: Any])
        XCTAssertEqual(customer.allocations + uint(untyped["allocations"]), 16_000)
        XCTAssertEqual(customer.allocations, 127 * 100)
        XCTAssertEqual(customer.liveObjects, 127 * 10)
        XCTAssertTrue(r.stderr.contains("untyped: 3,300 objects made"), r.stderr)
    }

    func testObjectsFreedOnAnotherThreadBeforeTheirTypeIsRead() throws {
        let exe = scratch.appendingPathComponent("census_handoff").path
        let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/census_handoff.c").path
        let dir = (Self.plugin as NSString).deletingLastPathComponent
        let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
        let built = try runProgram(cc, ["-O2", "-o", exe, source, "-L", dir, "-lcensus_plugin", "-Wl,-rpath," + dir, "-lpthread"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let (summary, r) = try runTypes([exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "1000\n")
        let types = rows(summary["types"])
        let widget = try XCTUnwrap(types["CensusPlugin.Widget"], "\(types.keys.sorted())")
        XCTAssertEqual(widget.allocations, 1_000)
        XCTAssertEqual(widget.liveObjects, 0)
        // Every type has a name: none came from reading a freed block.
        XCTAssertFalse(types.keys.contains { $0.hasPrefix("<type") || $0.hasPrefix("(metadata kind") }, "\(types.keys.sorted())")
    }

    func testForkingProgramKeepsACoherentCensus() throws {
        // Threads allocate while the program forks: the children go on in private memory, the
        // parent's census stays whole (no type with more frees than allocations).
        let (summary, r) = try runTypes([product("memprof-workload"), "fork", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let types = rows(summary["types"])
        XCTAssertFalse(types.isEmpty)
        for (name, row) in types { XCTAssertGreaterThanOrEqual(row.liveObjects, 0, name) }
    }
}
