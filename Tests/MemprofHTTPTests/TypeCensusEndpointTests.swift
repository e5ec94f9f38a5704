import Foundation
import MemprofProfile
import XCTest

/// `/debug/types`, the `types` section of `debug=1` and the type gauges of `/metrics`, on a
/// real multi-threaded service (memprof-http-demo: allocating threads and NIO's).
final class TypeCensusEndpointTests: XCTestCase {
    func testTypesRouteMetricsAndDebugText() throws {
        let demo = try DemoService(arguments: ["--threads", "3"], environment: ["MEMPROF_TYPES": "1", "MEMPROF_RATE": "4096"])
        defer { demo.stop() }
        usleep(300_000)
        let json = try JSONSerialization.jsonObject(with: Data(try demo.get("/debug/types").body)) as! [String: Any]
        XCTAssertEqual(json["enabled"] as? Bool, true)
        let types = try XCTUnwrap(json["types"] as? [[String: Any]])
        let node = try XCTUnwrap(types.first { ($0["name"] as? String)?.hasSuffix("DemoWorkload.Node") == true },
                                 "\(types.compactMap { $0["name"] })")
        XCTAssertGreaterThan((node["live_objects"] as! NSNumber).intValue, 0)
        XCTAssertGreaterThanOrEqual((node["allocations"] as! NSNumber).intValue, (node["live_objects"] as! NSNumber).intValue)
        // Largest live bytes first.
        let live = types.map { ($0["live_bytes"] as! NSNumber).int64Value }
        XCTAssertEqual(live, live.sorted(by: >))
        let limited = try JSONSerialization.jsonObject(with: Data(try demo.get("/debug/types?limit=2").body)) as! [String: Any]
        XCTAssertEqual((limited["types"] as? [Any])?.count, 2)
        XCTAssertEqual(try RawHTTP.get(port: demo.port, "/debug/types?limit=x", timeout: 30).status, 400)
        XCTAssertEqual(try RawHTTP.get(port: demo.port, "/debug/types?limit=", timeout: 30).status, 200, "empty: no limit")

        let metrics = String(decoding: try demo.get("/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("memprof_type_live_bytes{type=\""), metrics)
        XCTAssertTrue(metrics.contains("DemoWorkload.Node\"}"), metrics)
        let series = metrics.split(separator: "\n").filter { $0.hasPrefix("memprof_type_live_bytes{") }
        XCTAssertLessThanOrEqual(series.count, 20)

        // Sampled blocks made by swift_allocObject carry their type as a string label.
        let heap = try Profile.parse(try demo.get("/debug/pprof/heap").body)
        let typed = heap.samples.compactMap { $0.labels["type"]?.first }
        XCTAssertTrue(typed.contains { $0.hasSuffix("DemoWorkload.Node") || $0.contains("ContiguousArrayStorage<Swift.UInt64>") },
                      "\(Set(typed))")

        let text = String(decoding: try demo.get("/debug/pprof/heap?debug=1").body, as: UTF8.self)
        XCTAssertTrue(text.contains("\n# types (live objects, live bytes, allocations, name)\n"), text)
    }

    func testTypesRouteWithTheCensusOff() throws {
        let demo = try DemoService(arguments: ["--threads", "1"])
        defer { demo.stop() }
        let json = try JSONSerialization.jsonObject(with: Data(try demo.get("/debug/types").body)) as! [String: Any]
        XCTAssertEqual(json["enabled"] as? Bool, false)
        XCTAssertEqual((json["types"] as? [Any])?.count, 0)
        let metrics = String(decoding: try demo.get("/metrics").body, as: UTF8.self)
        XCTAssertFalse(metrics.contains("memprof_type_live_bytes"))
    }
}
