import Foundation
import XCTest
@testable import MemprofHTTP

/// How connections end, over real sockets: a client that half-closes after its request still
/// gets its response.
final class ConnectionEndTests: XCTestCase {
    /// `printf 'GET ...' | nc -N`: the request, then shutdown(SHUT_WR) before reading.
    func testHalfClosedClientGetsItsResponse() async throws {
        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0)).get()
        for (version, connection) in [("HTTP/1.1", ""), ("HTTP/1.1", "Connection: close\r\n"), ("HTTP/1.0", "")] {
            for route in ["/debug/pprof/cmdline", "/debug/pprof/heap", "/nope"] {
                let client = try RawConnection(port: server.port, timeout: 10)
                try client.send("GET \(route) \(version)\r\nHost: 127.0.0.1\r\n\(connection)\r\n")
                XCTAssertEqual(shutdown(client.fd, Int32(SHUT_WR)), 0)
                let response = try client.readResponse()
                XCTAssertEqual(response.status, route == "/nope" ? 404 : 200, "\(version) \(connection) \(route)")
                XCTAssertEqual(try client.readToEnd(), [], "then the close")
            }
        }
        await server.stop()
    }

    /// A new connection that sends nothing is closed after the request timeout, not the much
    /// longer idle timeout: silent connections cannot hold every slot for a minute.
    func testSilentNewConnectionsAreClosedAfterTheRequestTimeout() async throws {
        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0, requestTimeout: .milliseconds(500),
                                                         idleTimeout: .seconds(60))).get()
        let clock = ContinuousClock()
        let start = clock.now
        let silent = try RawConnection(port: server.port, timeout: 20)
        XCTAssertEqual(try silent.readToEnd(), [], "closed without a word")
        XCTAssertLessThan(clock.now - start, .seconds(10), "the request timeout, not the idle timeout")
        // A kept-alive connection still waits up to the idle timeout between requests.
        let kept = try RawConnection(port: server.port, timeout: 20)
        try kept.send("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        XCTAssertEqual(try kept.readResponse().status, 200)
        try await Task.sleep(for: .milliseconds(1500))
        try kept.send("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        XCTAssertEqual(try kept.readResponse().status, 200, "still open after three request timeouts")
        await server.stop()
    }

    /// CONNECT asks for a tunnel: NIO's decoder parses nothing after its head, so the answer
    /// (405) comes at once, then the close, instead of a connection left waiting.
    func testConnectIsRefusedAndClosed() async throws {
        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0)).get()
        let client = try RawConnection(port: server.port, timeout: 10)
        try client.send("CONNECT /debug/pprof/heap HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let text = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 405 "), text)
        XCTAssertTrue(text.contains("Allow: GET, HEAD\r\n"), text)
        XCTAssertTrue(text.contains("Connection: close\r\n"), text)
        await server.stop()
    }

    /// `Expect: 100-continue` (curl, for bodies over 1 KiB) gets its go-ahead before the body
    /// is sent, then the answer.
    func testExpectContinueGetsItsGoAhead() async throws {
        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0)).get()
        let client = try RawConnection(port: server.port, timeout: 10)
        let body = "0x1+0x2"
        try client.send("POST /debug/pprof/symbol HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n\r\n")
        let interim = try client.readInterimHead()
        XCTAssertEqual(interim, "HTTP/1.1 100 Continue")
        try client.send(body)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.text.hasSuffix("num_symbols: 1\n"), response.text)
        await server.stop()
    }

    /// A protocol error after a large response, with a client that reads only after a second
    /// (the response is still queued in the server when the error comes): the whole response
    /// arrives, then at most the 400, then the close. A plain close dropped the queued end.
    func testProtocolErrorAfterALargeResponseDoesNotCutIt() throws {
        // Sampled live blocks on 100 stacks: a legacy text of megabytes, more than the
        // kernel's socket buffers hold.
        let service = try DemoService(arguments: ["--threads", "0", "--live-samples", "10000"])
        let client = try RawConnection(port: service.port, timeout: 120)
        try client.send("GET /debug/pprof/heap?debug=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n")
        sleep(1)
        let response = try client.readResponse()  // throws "body cut short" when it is
        XCTAssertEqual(response.status, 200)
        XCTAssertGreaterThan(response.body.count, 8 << 20, "larger than the socket buffers")
        let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(rest.isEmpty || rest.hasPrefix("HTTP/1.1 400 "), rest)
    }
}
