import Foundation
import Memprof
import MemprofProfile
import XCTest
@testable import MemprofHTTP

/// The routes called directly, without sockets or NIO.
final class RequestHandlerTests: XCTestCase {
    let handler = MemprofRequestHandler()

    func testIndexPageListsTheProfilesLikeGo() async {
        let response = await handler.get("/debug/pprof/")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(response.text.hasPrefix("<html>\n<head>\n<title>/debug/pprof/</title>"))
        for link in ["<a href='heap?debug=1'>heap</a>", "<a href='allocs?debug=1'>allocs</a>",
                     "<a href='cmdline'>cmdline</a>", "<a href='/debug/memstats'>", "<a href='/metrics'>"] {
            XCTAssertTrue(response.text.contains(link), link)
        }
    }

    func testRedirectsAndUnknownPaths() async {
        let redirect = await handler.get("/debug/pprof")
        XCTAssertEqual(redirect.status, 301)
        XCTAssertEqual(redirect.header("Location"), "/debug/pprof/")
        let unknownProfile = await handler.get("/debug/pprof/goroutine?debug=2")
        XCTAssertEqual(unknownProfile.status, 404)
        XCTAssertEqual(unknownProfile.text, "Unknown profile\n")
        XCTAssertEqual(unknownProfile.header("X-Go-Pprof"), "1")
        let unknown = await handler.get("/nothing/here")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.text, "404 page not found\n")
        let post = await handler.handle(MemprofRequest(method: "POST", uri: "/debug/pprof/heap"))
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.header("Allow"), "GET, HEAD")
    }

    func testCmdlineIsArgumentsSeparatedByNul() async {
        let response = await handler.get("/debug/pprof/cmdline")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=utf-8")
        XCTAssertEqual(response.text, CommandLine.arguments.joined(separator: "\u{0}"))
    }

    func testSymbolServiceNamesAddressesLikeGo() async {
        let target: @convention(c) () -> Int32 = httpTestSymbolTarget
        let address = UInt64(UInt(bitPattern: unsafeBitCast(target, to: Int.self)))
        let hex = "0x" + String(address, radix: 16)
        let response = await handler.handle(MemprofRequest(method: "POST", uri: "/debug/pprof/symbol",
                                                           body: Array("\(hex)+0x1+garbage+0".utf8)))
        XCTAssertEqual(response.status, 200)
        let lines = response.text.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, response.text)
        XCTAssertTrue(lines.first?.hasPrefix(hex + " ") == true, response.text)
        XCTAssertTrue(lines.first?.contains("httpTestSymbolTarget") == true, response.text)
        // The compact name our profiles carry: no signature (the full one ends in `-> Swift.Int32`).
        XCTAssertFalse(lines.first?.contains("->") == true, response.text)
        XCTAssertEqual(lines.last, "num_symbols: 1")
        let get = await handler.get("/debug/pprof/symbol")
        XCTAssertEqual(get.text, "num_symbols: 1\n")
        let viaQuery = await handler.get("/debug/pprof/symbol?\(hex)")
        XCTAssertTrue(viaQuery.text.hasPrefix(hex + " "), viaQuery.text)
    }

    func testMemStatsJSONHasEveryFieldAndDecodes() async throws {
        let response = await handler.get("/debug/memstats")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "application/json")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let memstats = try XCTUnwrap(document["memstats"] as? [String: Any])
        // Every stored property of MemStats, under its Swift name, and JSONDecoder reads it.
        let names = Set(Mirror(reflecting: MemStats.read()).children.compactMap(\.label))
        XCTAssertEqual(Set(memstats.keys), names)
        let decoded = try JSONDecoder().decode(MemStats.self, from: JSONSerialization.data(withJSONObject: memstats))
        XCTAssertGreaterThan(decoded.heapAlloc, 0)
        XCTAssertGreaterThanOrEqual(decoded.mallocs, decoded.frees)
        XCTAssertEqual(decoded.alloc, decoded.heapAlloc)
        XCTAssertEqual(document["samplingRate"] as? Int, Int(HeapProfile.samplingRate))

        let process = try XCTUnwrap(document["process"] as? [String: Any])
        XCTAssertEqual(process["pid"] as? Int, Int(getpid()))
        XCTAssertGreaterThan(process["residentBytes"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(process["virtualBytes"] as? Int ?? 0, process["residentBytes"] as? Int ?? 0)
        let breakdown = try XCTUnwrap(process["breakdown"] as? [String: Any])
        let total = try XCTUnwrap(breakdown["total"] as? [String: Int])
        let groups = try XCTUnwrap(breakdown["groups"] as? [[String: Any]])
        let categories = Set(ProcessMemory.Category.allCases.map(\.rawValue))
        var resident = 0
        for group in groups {
            XCTAssertTrue(categories.contains(group["category"] as? String ?? ""), "\(group)")
            let usage = try XCTUnwrap(group["usage"] as? [String: Int])
            XCTAssertEqual(Set(usage.keys), ["virtualBytes", "residentBytes", "proportionalBytes",
                                             "privateDirtyBytes", "swapBytes", "mappings"])
            resident += usage["residentBytes"]!
        }
        XCTAssertEqual(resident, total["residentBytes"], "the groups add up to the total")
        XCTAssertTrue(groups.contains { $0["category"] as? String == "malloc heap" })
    }

    func testMetricsMirrorTheExactCounters() async throws {
        let before = AllocationCounters.read()
        let response = await handler.get("/metrics")
        let after = AllocationCounters.read()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        let (values, types) = try parsePrometheus(response.text)
        let mallocs = try XCTUnwrap(values["memprof_mallocs_total"])
        XCTAssertGreaterThanOrEqual(mallocs, Double(before.allocations))
        XCTAssertLessThanOrEqual(mallocs, Double(after.allocations))
        let allocated = try XCTUnwrap(values["memprof_allocated_bytes_total"])
        XCTAssertGreaterThanOrEqual(allocated, Double(before.allocatedBytes))
        XCTAssertLessThanOrEqual(allocated, Double(after.allocatedBytes))
        XCTAssertEqual(types["memprof_mallocs_total"], "counter")
        XCTAssertEqual(types["memprof_frees_total"], "counter")
        XCTAssertEqual(types["memprof_heap_live_bytes"], "gauge")
        for name in ["memprof_heap_live_bytes", "memprof_frees_total", "process_resident_memory_bytes",
                     "process_virtual_memory_bytes", "memprof_heap_sys_bytes", "memprof_heap_idle_bytes",
                     "memprof_heap_released_bytes", #"memprof_process_resident_bytes{category="malloc heap"}"#] {
            XCTAssertNotNil(values[name], name)
        }
        XCTAssertGreaterThan(values["process_resident_memory_bytes"] ?? 0, 1_048_576)
        // Counters only grow, scrape after scrape.
        let secondScrape = await handler.get("/metrics")
        let again = try parsePrometheus(secondScrape.text).values
        XCTAssertGreaterThan(try XCTUnwrap(again["memprof_mallocs_total"]), mallocs)
    }

    func testTokenIsRequiredAsBearer() async {
        let guarded = MemprofRequestHandler(configuration: .init(token: "s3cret-token"))
        let missing = await guarded.get("/debug/pprof/cmdline")
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.header("WWW-Authenticate"), #"Bearer realm="memprof""#)
        let status1 = await guarded.get("/nothing", headers: [("Authorization", "Bearer wrong")]).status
        XCTAssertEqual(status1, 401)
        let status2 = await guarded.get("/metrics", headers: [("Authorization", "Bearer s3cret-tok")]).status
        XCTAssertEqual(status2, 401)
        let status3 = await guarded.get("/metrics", headers: [("Authorization", "Basic s3cret-token")]).status
        XCTAssertEqual(status3, 401)
        let status4 = await guarded.get("/debug/pprof/cmdline", headers: [("authorization", "bearer s3cret-token")]).status
        XCTAssertEqual(status4, 200)
        // An empty token means none.
        let open = MemprofRequestHandler(configuration: .init(token: ""))
        let status5 = await open.get("/debug/pprof/cmdline").status
        XCTAssertEqual(status5, 200)
    }
}
