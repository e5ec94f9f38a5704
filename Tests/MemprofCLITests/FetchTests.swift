import Foundation
import XCTest

/// `memprof fetch URL -o FILE` and reading profiles over HTTP.
final class FetchTests: XCTestCase {
    func testFetchSavesTheServedBytes() throws {
        let heap = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap.pb.gz")))
        let server = try TinyHTTPServer(routes: [
            "/debug/pprof/heap": .ok(heap),
            "/chunked": .chunked(heap),
            "/moved": .redirect("/debug/pprof/heap"),
            "/source": .ok(try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("main.go")))),
        ])
        defer { server.stop() }
        for path in ["/debug/pprof/heap", "/chunked", "/moved"] {
            let out = scratch.appendingPathComponent("fetched\(path.replacingOccurrences(of: "/", with: "-")).pb.gz")
            let r = try CLI.memprof(["fetch", server.url + path, "-o", out.path])
            XCTAssertEqual(r.status, 0, "\(path): \(r.stderr)")
            XCTAssertEqual(try Data(contentsOf: out), heap, path)
            XCTAssertEqual(r.stderr, "memprof: saved \(out.path): \(heap.count) bytes, 4 samples (alloc_objects, alloc_space, inuse_objects, inuse_space)\n")
        }
        // Something that is not a profile is not saved.
        let out = scratch.appendingPathComponent("source.pb.gz")
        let r = try CLI.memprof(["fetch", server.url + "/source", "-o", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("not a pprof profile: input is text (\"package main\")"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("; nothing written\n"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        // Files are not fetched.
        let notURL = try CLI.memprof(["fetch", CLI.fixture("heap.pb.gz"), "-o", out.path])
        XCTAssertEqual(notURL.status, 64)
        XCTAssertTrue(notURL.stderr.contains("give an http:// or https:// URL"), notURL.stderr)
    }

    /// A Swift service: the HTTP demo serves our own endpoint; memprof reads it live.
    func testLiveEndpointOfOurServer() throws {
        let path = product("memprof-http-demo")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), "memprof-http-demo is not built")
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: path)
        demo.arguments = ["--address", "127.0.0.1:0", "--seconds", "60"]
        let out = Pipe()
        demo.standardOutput = out
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer { demo.terminate(); demo.waitUntilExit() }
        // First line: `listening on http://HOST:PORT`.
        var line = Data()
        while !line.contains(10) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else { return XCTFail("no address from the demo: \(text)") }
        let base = text[range.lowerBound...].prefix { !$0.isWhitespace }
        usleep(300_000)  // let the demo's threads allocate a little
        let r = try CLI.memprof(["top", "-n", "5", "--alloc_space", "\(base)/debug/pprof/heap"], timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Type: alloc_space"), r.stdout)
        XCTAssertTrue(r.stdout.contains("      flat  flat%   sum%        cum   cum%"), r.stdout)
        let saved = scratch.appendingPathComponent("live.pb.gz").path
        let fetched = try CLI.memprof(["fetch", "\(base)/debug/pprof/heap", "-o", saved])
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertEqual(try CLI.memprof(["traces", saved]).status, 0)
    }
}
