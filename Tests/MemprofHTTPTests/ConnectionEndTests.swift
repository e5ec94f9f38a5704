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
}
