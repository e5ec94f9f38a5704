import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest
@testable import MemprofHTTP

/// The server's pipeline (`MemprofPipeline`) on NIO's testing channel: bytes in, bytes out,
/// no sockets, with a virtual clock for the timeouts.
final class ChannelHandlerTests: XCTestCase {
    private func makeChannel(_ configure: (inout MemprofServer.Configuration) -> Void = { _ in }) async throws
        -> NIOAsyncTestingChannel {
        var configuration = MemprofServer.Configuration()
        configure(&configuration)
        let frozen = configuration
        let handler = MemprofRequestHandler(configuration: frozen.handler)
        let channel = try await NIOAsyncTestingChannel { channel in
            try MemprofPipeline.configure(channel, handler: handler, configuration: frozen)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6060))
        return channel
    }

    private func send(_ text: String, to channel: NIOAsyncTestingChannel) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// Collects outbound bytes until a whole response (by Content-Length) is there.
    private func response(from channel: NIOAsyncTestingChannel, head: Bool = false) async throws -> (String, [UInt8]) {
        var bytes: [UInt8] = []
        while true {
            let buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            bytes += buffer.readableBytesView
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.lowerBound else { continue }
            let headText = String(decoding: bytes[..<end], as: UTF8.self)
            let length = headText.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyLength = head ? 0 : length
            if bytes.count >= end + 4 + bodyLength {
                XCTAssertEqual(bytes.count, end + 4 + bodyLength, "nothing after the response")
                return (headText, Array(bytes[(end + 4)...]))
            }
        }
    }

    func testServesARequestAndKeepsTheConnectionAlive() async throws {
        let channel = try await makeChannel()
        try await send("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK\r\n"), head)
        XCTAssertTrue(head.contains("content-length: \(body.count)") || head.contains("Content-Length: \(body.count)"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), CommandLine.arguments.joined(separator: "\u{0}"))
        // Same connection, second request (kept alive); then HEAD has no body.
        try await send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (notFound, notFoundBody) = try await response(from: channel)
        XCTAssertTrue(notFound.hasPrefix("HTTP/1.1 404 Not Found\r\n"), notFound)
        XCTAssertEqual(String(decoding: notFoundBody, as: UTF8.self), "404 page not found\n")
        try await send("HEAD /debug/pprof/ HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (headOnly, _) = try await response(from: channel, head: true)
        XCTAssertTrue(headOnly.hasPrefix("HTTP/1.1 200 OK\r\n"), headOnly)
        XCTAssertTrue(headOnly.contains("Content-Length: \(IndexPage.html.utf8.count)"), headOnly)
        XCTAssertTrue(channel.isActive)
        _ = try? await channel.finish()
    }

    /// A body larger than `chunkBytes` goes out chunk by chunk, whole and in order, and the
    /// connection serves the next request after it.
    func testLargeBodyIsWrittenInChunksAndTheConnectionStaysUsable() async throws {
        // 200 blocks of distinct sizes (each sampled with probability ~0.86): their records
        // in the allocs text (about 1.5 KiB each) make several chunks.
        var sum = 0
        for k in 0..<200 { sum += [UInt8](repeating: 1, count: (1 << 20) + k * 4096).count }
        let channel = try await makeChannel()
        try await send("GET /debug/pprof/allocs?debug=1 HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK\r\n"), head)
        XCTAssertGreaterThan(body.count, 2 * MemprofChannelHandler.chunkBytes, "the text is large enough to be chunked")
        // Every line is one of the format's: a torn or repeated chunk would break one.
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("heap profile: "))
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            let record = line.range(of: #"^-?\d+: -?\d+ \[-?\d+: -?\d+\] @( 0x[0-9a-f]+)+$"#, options: .regularExpression) != nil
            let frame = line.range(of: #"^#\t0x[0-9a-f]+(\t|$)"#, options: .regularExpression) != nil
            let trailer = line.hasPrefix("# ")
            XCTAssertTrue(record || frame || trailer, "unexpected line: \(line.prefix(120))")
        }
        try await send("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (next, nextBody) = try await response(from: channel)
        XCTAssertTrue(next.hasPrefix("HTTP/1.1 200 OK\r\n"), next)
        XCTAssertEqual(String(decoding: nextBody, as: UTF8.self), CommandLine.arguments.joined(separator: "\u{0}"))
        XCTAssertGreaterThan(sum, 200 << 20)
        _ = try? await channel.finish()
    }

    func testHTTP10WithoutKeepAliveIsClosedAfterTheResponse() async throws {
        let channel = try await makeChannel()
        try await send("GET /debug/pprof/cmdline HTTP/1.0\r\n\r\n", to: channel)
        let (head, _) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.0 200 OK\r\n"), head)
        XCTAssertTrue(head.contains("Connection: close"), head)
        try await channel.closeFuture.get()
    }

    func testMalformedRequestGets400AndClose() async throws {
        let channel = try await makeChannel()
        try? await send("THIS IS NOT HTTP\r\n\r\n", to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "malformed HTTP request\n")
        try await channel.closeFuture.get()
    }

    func testHugeHeadersGet431() async throws {
        // Past the decoder's limit (twice maxHeaderBytes): stopped while parsing.
        let channel = try await makeChannel { $0.maxHeaderBytes = 4096 }
        try? await send("GET /metrics HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n", to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "request header fields too large\n")
        try await channel.closeFuture.get()

        // Under the decoder's limit but over ours: refused from the parsed head.
        let second = try await makeChannel { $0.maxHeaderBytes = 4096 }
        try await send("GET /metrics HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 5000))\r\n\r\n", to: second)
        let (head2, body2) = try await response(from: second)
        XCTAssertTrue(head2.hasPrefix("HTTP/1.1 431 "), head2)
        XCTAssertEqual(String(decoding: body2, as: UTF8.self), "request header fields too large (more than 4096 bytes)\n")
        try await second.closeFuture.get()
    }

    func testLongTargetGets414() async throws {
        let channel = try await makeChannel()
        try await send("GET /debug/pprof/heap?x=\(String(repeating: "y", count: 5000)) HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 414 URI Too Long\r\n"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "request target too long (more than 4096 bytes)\n")
        try await channel.closeFuture.get()
    }

    func testOversizedBodyGets413WithoutReadingTheRest() async throws {
        let channel = try await makeChannel { $0.maxBodyBytes = 1000 }
        try await send("POST /debug/pprof/heap HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", to: channel)
        try await send(String(repeating: "z", count: 2000), to: channel)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "request body too large (more than 1000 bytes)\n")
        try await channel.closeFuture.get()
    }

    func testSlowClientGets408() async throws {
        let channel = try await makeChannel { $0.requestTimeout = .seconds(10) }
        try await send("GET /debug/pprof/heap HTTP/1.1\r\nHo", to: channel)
        await channel.testingEventLoop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        try await send("st: x\r\n", to: channel)  // trickling bytes does not extend the deadline
        await channel.testingEventLoop.advanceTime(by: .seconds(2))
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), head)
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "request timeout\n")
        try await channel.closeFuture.get()
    }

    func testIdleConnectionIsClosedQuietly() async throws {
        let channel = try await makeChannel { $0.idleTimeout = .seconds(30) }
        try await send("GET /debug/pprof/cmdline HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        _ = try await response(from: channel)
        await channel.testingEventLoop.advanceTime(by: .seconds(29))
        XCTAssertTrue(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(2))
        try await channel.closeFuture.get()
        var extra = 0
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { extra += buffer.readableBytes }
        XCTAssertEqual(extra, 0, "no response to an idle connection")
    }

    func testNoTimerRunsWhileTheResponseIsBeingBuilt() async throws {
        let channel = try await makeChannel { $0.requestTimeout = .seconds(1); $0.idleTimeout = .seconds(1) }
        try await send("GET /debug/pprof/heap?seconds=1 HTTP/1.1\r\nHost: x\r\n\r\n", to: channel)
        // The delta takes a real second; virtual time jumps far past both timeouts meanwhile.
        await channel.testingEventLoop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive)
        let (head, body) = try await response(from: channel)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK\r\n"), head)
        XCTAssertEqual(Array(body.prefix(2)), [0x1f, 0x8b])
        _ = try? await channel.finish()
    }
}
