import Foundation
import XCTest

/// `memprof fetch https://...` goes through the curl program: a real TLS server (openssl
/// s_server with a certificate made for the test) serves a profile file.
final class FetchTLSTests: XCTestCase {
    private static let dir: URL = {
        let d = scratch.appendingPathComponent("tls")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    /// A free loopback port (bound, read, closed: another process could take it meanwhile).
    private func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    /// The port of s_server's "ACCEPT HOST:PORT" line; nil if it exits or prints none first.
    private func acceptedPort(_ output: FileHandle) -> UInt16? {
        var text = ""
        while true {
            let data = output.availableData  // empty at end of file: the server exited
            if data.isEmpty { return nil }
            text += String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") && text.contains(line + "\n") {
                return line.split(separator: ":").last.flatMap { UInt16($0) }
            }
        }
    }

    private func waitForListener(_ port: UInt16) -> Bool {
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            a.sin_port = port.bigEndian
            let rc = withUnsafeMutablePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if rc == 0 { return true }
            usleep(50_000)
        }
        return false
    }

    func testHTTPSFetchThroughCurl() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            throw XCTSkip("openssl and curl are needed (.ci/run installs them)")
        }
        let dir = Self.dir
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try runProgram("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                                       "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                                                       "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let heap = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap.pb.gz")))
        try heap.write(to: dir.appendingPathComponent("heap.pb.gz"))

        // Port 0: the server binds a free port and names it ("ACCEPT 127.0.0.1:PORT").
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-WWW"]
        server.currentDirectoryURL = dir
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let port = try XCTUnwrap(acceptedPort(output.fileHandleForReading), "openssl s_server named no port")
        output.fileHandleForReading.readabilityHandler = { _ = $0.availableData }  // never a full pipe
        defer { output.fileHandleForReading.readabilityHandler = nil }
        XCTAssertTrue(waitForListener(port), "openssl s_server did not start")

        let url = "https://localhost:\(port)/heap.pb.gz"
        let out = dir.appendingPathComponent("fetched.pb.gz").path
        let ok = try runProgram(product("memprof"), ["fetch", url, "-o", out], environment: ["CURL_CA_BUNDLE": cert])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), heap)
        // The same profile read by a report, straight from the URL.
        let top = try runProgram(product("memprof"), ["top", "-n", "3", url], environment: ["CURL_CA_BUNDLE": cert])
        XCTAssertEqual(top.status, 0, top.stderr)
        XCTAssertTrue(top.stdout.contains("flat%"), top.stdout)

        // An untrusted certificate is a clear error, and nothing is written.
        let untrusted = dir.appendingPathComponent("untrusted.pb.gz").path
        let bad = try runProgram(product("memprof"), ["fetch", url, "-o", untrusted], environment: ["CURL_CA_BUNDLE": "/dev/null"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.lowercased().contains("certificate") || bad.stderr.contains("SSL"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: untrusted))
        // s_server answers a missing file with status 200 and an error text: not a profile.
        let missing = try runProgram(product("memprof"), ["fetch", "https://localhost:\(port)/nope.pb.gz", "-o", untrusted],
                                     environment: ["CURL_CA_BUNDLE": cert])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("not a pprof profile"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: untrusted))
    }

    func testHTTPSConnectionRefusedIsAClearError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("curl is needed") }
        let r = try runProgram(product("memprof"), ["fetch", "https://127.0.0.1:\(freePort())/debug/pprof/heap",
                                                    "-o", Self.dir.appendingPathComponent("refused.pb.gz").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("onnect"), r.stderr)  // curl: "Failed to connect" / "Couldn't connect"
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
}
