import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client on a plain socket, for tests that need control over the bytes
/// (partial requests, huge headers) and proof that each response is complete.
struct RawHTTPResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

struct RawHTTPError: Error, CustomStringConvertible {
    var description: String
}

final class RawConnection {
    let fd: Int32
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; reads give up after `timeout` seconds.
    init(port: Int, timeout: Int = 30) throws {
        // The socket is stored only once connected: an init that throws after every property
        // is set runs deinit, and a second close would close whatever reused the number
        // (an event loop's epoll descriptor, in one CI run).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError(description: "socket: \(errno)") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw RawHTTPError(description: "connect to port \(port): errno \(code)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTPError(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw RawHTTPError(description: "recv failed: errno \(errno) (timeout?)") }
        if n == 0 { return false }
        pending += chunk[0..<n]
        return true
    }

    /// Reads everything until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending = [] }
        return pending
    }

    /// Reads an interim (1xx) response, which has a head only, and returns its status line.
    func readInterimHead() throws -> String {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while pending.firstRange(of: separator) == nil {
            if try !fill() { throw RawHTTPError(description: "connection closed before the interim head ended") }
        }
        let end = pending.firstRange(of: separator)!.lowerBound
        let head = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end + 4)
        return head.components(separatedBy: "\r\n")[0]
    }

    /// Reads one response framed by Content-Length; throws if the stream ends early.
    func readResponse(headRequest: Bool = false) throws -> RawHTTPResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = pending.firstRange(of: separator)?.lowerBound
            if headEnd == nil, try !fill() { throw RawHTTPError(description: "connection closed before the header ended") }
        }
        let head = String(decoding: pending[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawHTTPError(description: "bad status line in \(head)")
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawHTTPResponse(status: status, headers: headers, body: [])
        guard let length = response.header("Content-Length").flatMap(Int.init) else {
            throw RawHTTPError(description: "no Content-Length in \(head)")
        }
        let bodyStart = headEnd! + 4
        let bodyLength = headRequest ? 0 : length
        while pending.count < bodyStart + bodyLength {
            if try !fill() {
                throw RawHTTPError(description: "body cut short: \(pending.count - bodyStart) of \(length) bytes")
            }
        }
        response.body = Array(pending[bodyStart..<bodyStart + bodyLength])
        pending.removeFirst(bodyStart + bodyLength)
        return response
    }
}

enum RawHTTP {
    /// GET on a fresh connection with `Connection: close`; checks that nothing follows the
    /// response and that the server closes the connection.
    static func get(port: Int, _ target: String, headers: [String: String] = [:], method: String = "GET",
                    timeout: Int = 30) throws -> RawHTTPResponse {
        let connection = try RawConnection(port: port, timeout: timeout)
        var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try connection.send(request + "\r\n")
        let response = try connection.readResponse(headRequest: method == "HEAD")
        let trailing = try connection.readToEnd()
        guard trailing.isEmpty else { throw RawHTTPError(description: "\(trailing.count) bytes after the response") }
        return response
    }

    /// A port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
