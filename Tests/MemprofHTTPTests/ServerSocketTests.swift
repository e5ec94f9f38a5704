import Foundation
import Logging
import Memprof
import MemprofProfile
import XCTest
@testable import MemprofHTTP

/// The whole server on 127.0.0.1 with real clients: curl, `go tool pprof`, raw sockets.
final class ServerSocketTests: XCTestCase {
    private func startServer(_ configure: (inout MemprofServer.Configuration) -> Void = { _ in }) async throws -> MemprofServer {
        var configuration = MemprofServer.Configuration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let server = try await MemprofServer.start(configuration).get()
        XCTAssertGreaterThan(server.port, 0)
        return server
    }

    func testCurlReadsEveryRoute() async throws {
        let server = try await startServer()
        let port = server.port
        let block = httpTestKeepEightMiB()
        defer { free(block) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("heap.pb.gz").path
        let download = try TestProcess.run("/usr/bin/curl", ["-sS", "--fail", "-o", file, "-w", "%{http_code} %{content_type}",
                                                            "http://127.0.0.1:\(port)/debug/pprof/heap"])
        XCTAssertEqual(download.status, 0, download.stderr)
        XCTAssertEqual(download.stdout, "200 application/octet-stream")
        let profile = try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        XCTAssertGreaterThanOrEqual(profile.total("inuse_space", inFunction: "httpTestKeepEightMiB"), 8 << 20)

        let memstats = try TestProcess.run("/usr/bin/curl", ["-sS", "--fail", "http://127.0.0.1:\(port)/debug/memstats"])
        XCTAssertEqual(memstats.status, 0, memstats.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(memstats.stdout.utf8)) as? [String: Any])
        let metrics = try TestProcess.run("/usr/bin/curl", ["-sS", "--fail", "http://127.0.0.1:\(port)/metrics"])
        XCTAssertNotNil(try parsePrometheus(metrics.stdout).values["memprof_heap_live_bytes"])
        let missing = try TestProcess.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                                           "http://127.0.0.1:\(port)/debug/pprof/goroutine"])
        XCTAssertEqual(missing.stdout, "404")
        let text = try TestProcess.run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/debug/pprof/heap?debug=1"])
        XCTAssertTrue(text.stdout.hasPrefix("heap profile: "), String(text.stdout.prefix(100)))
        await server.stop()
    }

    func testGoToolPprofReadsOurEndpoint() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/go") else {
            return XCTFail("go is not installed (.ci/run installs golang-go)")
        }
        let server = try await startServer()
        let block = httpTestKeepEightMiB()
        defer { free(block) }
        let environment = try TestProcess.goEnvironment()
        let heap = try TestProcess.run("/usr/bin/go", ["tool", "pprof", "-top", "http://127.0.0.1:\(server.port)/debug/pprof/heap"],
                                       environment: environment)
        XCTAssertEqual(heap.status, 0, heap.stderr)
        XCTAssertTrue(heap.stdout.contains("Type: inuse_space"), heap.stdout)
        XCTAssertTrue(heap.stdout.contains("httpTestKeepEightMiB"), heap.stdout)
        XCTAssertFalse(heap.stderr.contains("symbolz"), heap.stderr)
        let allocs = try TestProcess.run("/usr/bin/go", ["tool", "pprof", "-top", "http://127.0.0.1:\(server.port)/debug/pprof/allocs"],
                                         environment: environment)
        XCTAssertEqual(allocs.status, 0, allocs.stderr)
        XCTAssertTrue(allocs.stdout.contains("Type: alloc_space"), allocs.stdout)
        let delta = try TestProcess.run("/usr/bin/go", ["tool", "pprof", "-top", "-seconds", "1",
                                                        "http://127.0.0.1:\(server.port)/debug/pprof/allocs"],
                                        environment: environment)
        XCTAssertEqual(delta.status, 0, delta.stderr)
        XCTAssertTrue(delta.stderr.contains("/debug/pprof/allocs?seconds=1"), delta.stderr)
        await server.stop()
    }

    func testStartFailuresAreReturnedNotFatal() async throws {
        let server = try await startServer()
        // Port in use.
        let second = await MemprofServer.start(.init(host: "127.0.0.1", port: server.port))
        guard case .failure(let inUse) = second else { return XCTFail("second bind succeeded") }
        XCTAssertTrue(inUse.description.contains("Address already in use"), inUse.description)
        // Non-loopback needs the explicit opt-in, and then a token. (Refused before binding.)
        let open = MemprofServer.start(host: "0.0.0.0", port: 0)
        guard case .failure(let notLoopback) = open else { return XCTFail("bound to 0.0.0.0") }
        XCTAssertTrue(notLoopback.description.contains("not a loopback address"), notLoopback.description)
        let noToken = await MemprofServer.start(.init(host: "0.0.0.0", port: 0, allowNonLoopback: true))
        guard case .failure(let tokenless) = noToken else { return XCTFail("bound to 0.0.0.0 without token") }
        XCTAssertTrue(tokenless.description.contains("MEMPROF_HTTP_TOKEN"), tokenless.description)
        let badHost = await MemprofServer.start(.init(host: "no such host.invalid", port: 0))
        guard case .failure = badHost else { return XCTFail("resolved a bad host") }
        let badPort = await MemprofServer.start(.init(port: 70000))
        guard case .failure(let port) = badPort else { return XCTFail("port 70000") }
        XCTAssertEqual(port.description, "invalid port 70000")
        await server.stop()
        // Stopped: the port is closed.
        XCTAssertThrowsError(try RawConnection(port: server.port))
    }

    func testTokenOnLoopbackIsEnforced() async throws {
        let server = try await startServer { $0.handler.token = "t0ken" }
        XCTAssertEqual(try RawHTTP.get(port: server.port, "/debug/pprof/cmdline").status, 401)
        let ok = try RawHTTP.get(port: server.port, "/debug/pprof/cmdline", headers: ["Authorization": "Bearer t0ken"])
        XCTAssertEqual(ok.status, 200)
        await server.stop()
    }

    func testSlowHugeAndExcessClientsGet4xxAndTheLoopStaysResponsive() async throws {
        let server = try await startServer { $0.requestTimeout = .seconds(1); $0.maxConnections = 8 }
        let port = server.port
        // Slowloris: half a request, then nothing: 408 and close within about a second.
        let slow = try RawConnection(port: port)
        try slow.send("GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        let clock = ContinuousClock()
        let start = clock.now
        let timedOut = try slow.readResponse()
        XCTAssertEqual(timedOut.status, 408)
        XCTAssertEqual(try slow.readToEnd(), [], "closed after the 408")
        XCTAssertLessThan(clock.now - start, .seconds(5))

        let huge = try RawHTTP.get(port: port, "/metrics", headers: ["X-Huge": String(repeating: "h", count: 100_000)])
        XCTAssertEqual(huge.status, 431)
        let garbage = try RawConnection(port: port)
        try garbage.send("\u{1}\u{2}\u{3} nonsense\r\n\r\n")
        XCTAssertEqual(try garbage.readResponse().status, 400)

        // Connections past the limit are answered 503 and closed; the others still work.
        var held: [RawConnection] = []
        for _ in 0..<8 { held.append(try RawConnection(port: port)) }
        try await Task.sleep(for: .milliseconds(200))
        let excess = try RawConnection(port: port)
        XCTAssertEqual(try excess.readResponse().status, 503)
        held.removeAll()
        // Once the server has seen the closes (a loaded machine may take a while).
        var status = 0
        for _ in 0..<50 where status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            status = try RawHTTP.get(port: port, "/debug/pprof/cmdline").status
        }
        XCTAssertEqual(status, 200)

        // While a delta profile waits and a heap profile is built, small routes answer at once.
        async let delta = Task.detached { try RawHTTP.get(port: port, "/debug/pprof/heap?seconds=2") }.value
        try await Task.sleep(for: .milliseconds(100))
        let quickStart = clock.now
        XCTAssertEqual(try RawHTTP.get(port: port, "/debug/pprof/").status, 200)
        // (Behind the delta it would take the rest of its 2 s.)
        XCTAssertLessThan(clock.now - quickStart, .milliseconds(1500))
        let deltaResponse = try await delta
        XCTAssertEqual(deltaResponse.status, 200)
        XCTAssertNoThrow(try Profile.parse(deltaResponse.body))
        await server.stop()
    }

    func testEnvironmentVariableStartsTheServerOnce() async throws {
        // Port 0: the kernel picks a free one (no other process can take it first).
        setenv(MemprofServer.addressVariable, "127.0.0.1:0", 1)
        defer { unsetenv(MemprofServer.addressVariable) }
        XCTAssertEqual(memprof_http_start_from_environment(), 1)
        let server = try XCTUnwrap(MemprofServer.environmentServer)
        let port = server.port
        XCTAssertNotEqual(port, 0)
        XCTAssertTrue(try XCTUnwrap(MemprofServer.startFromEnvironment()).get() === server, "started once")
        XCTAssertEqual(try RawHTTP.get(port: port, "/debug/pprof/cmdline").status, 200)
        await server.stop()

        XCTAssertEqual(MemprofServer.parseAddress("[::1]:6060")?.host, "::1")
        XCTAssertEqual(MemprofServer.parseAddress("6061")?.host, "127.0.0.1")
        XCTAssertEqual(MemprofServer.parseAddress("localhost:0")?.port, 0)
        for bad in ["", "host:", ":80", "1.2.3.4:99999", "[::1]", "a:b:c", "x:12a"] {
            XCTAssertNil(MemprofServer.parseAddress(bad), bad)
        }
    }

    func testServiceServesUntilCancelled() async throws {
        // Port 0, as a user who lets the system pick would: the port is in the service's log.
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in lines }
        let service = MemprofService(configuration: .init(host: "127.0.0.1", port: 0), logger: logger)
        let task = Task { try await service.run() }
        var port: Int?
        for _ in 0..<250 where port == nil {
            port = lines.all.lazy.compactMap(Self.listeningPort).first
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let bound = try XCTUnwrap(port, "no 'listening on' line in \(lines.all)")
        XCTAssertNotEqual(bound, 0)
        let answered = (try? RawHTTP.get(port: bound, "/debug/pprof/cmdline").status) == 200
        XCTAssertTrue(answered)
        task.cancel()
        try await task.value
        XCTAssertThrowsError(try RawConnection(port: bound))
        XCTAssertTrue(lines.all.contains { $0.contains("127.0.0.1:\(bound) stopped") }, "\(lines.all)")
    }

    /// The port of a "memprof HTTP server listening on http://HOST:PORT/debug/pprof/" line.
    static func listeningPort(_ line: String) -> Int? {
        guard let url = line.split(separator: " ").last(where: { $0.hasPrefix("http://") }),
              let colon = url.lastIndex(of: ":") else { return nil }
        return Int(url[url.index(after: colon)...].prefix { $0.isNumber })
    }
}

/// A log handler that keeps every message, for tests that read what a service logged.
final class LogLines: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var all: [String] { lock.withLock { lines } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { lines.append("\(event.message)") }
    }
}
