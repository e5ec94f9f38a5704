import Foundation

/// A minimal HTTP/1.1 server on 127.0.0.1 for the fetch tests: canned responses by path,
/// one connection at a time, on a background thread.
final class TinyHTTPServer: @unchecked Sendable {
    enum Response {
        /// 200 with Content-Length.
        case ok(Data)
        /// 200 with a chunked body (chunks of 1000 bytes).
        case chunked(Data)
        /// A status with a short text body.
        case status(Int, String)
        /// 302 to another path.
        case redirect(String)
        /// Headers promising `Content-Length` bytes, then fewer and a close.
        case truncated(Data)
        /// Accepts the request and never answers.
        case silent
    }

    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)" }
    private let fd: Int32
    private let routes: [String: Response]
    private let lock = NSLock()
    private var stopped = false
    private var held: [Int32] = []

    init(routes: [String: Response]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw NSError(domain: "TinyHTTPServer", code: Int(errno)) }
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        for c in held { close(c) }
        held = []
        lock.unlock()
        // Wake accept, and close the descriptor only once the serving thread has left it:
        // closed earlier, its number could be reused (by an event loop) under that thread.
        shutdown(fd, Int32(SHUT_RDWR))
        _ = serving.wait(timeout: .now() + 10)
        close(fd)
    }

    private let serving = DispatchSemaphore(value: 0)

    private func serve() {
        defer { serving.signal() }
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            lock.lock()
            let isStopped = stopped
            lock.unlock()
            if isStopped { close(c); return }
            handle(c)
        }
    }

    private func handle(_ c: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains(13) || String(decoding: request, as: UTF8.self).range(of: "\r\n\r\n") == nil {
            let n = recv(c, &buffer, buffer.count, 0)
            if n <= 0 { close(c); return }
            request += buffer[0..<n]
        }
        let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        var out = Data()
        func head(_ status: String, _ headers: [String]) {
            out += Data(("HTTP/1.1 \(status)\r\n" + headers.map { $0 + "\r\n" }.joined() + "Connection: close\r\n\r\n").utf8)
        }
        switch routes[path] ?? .status(404, "404 page not found") {
        case .ok(let body):
            head("200 OK", ["Content-Type: application/octet-stream", "Content-Length: \(body.count)"])
            out += body
        case .chunked(let body):
            head("200 OK", ["Transfer-Encoding: chunked"])
            var i = 0
            while i < body.count {
                let part = body[(body.startIndex + i)..<(body.startIndex + min(body.count, i + 1000))]
                out += Data((String(part.count, radix: 16) + "\r\n").utf8) + part + Data("\r\n".utf8)
                i += part.count
            }
            out += Data("0\r\n\r\n".utf8)
        case .status(let code, let text):
            head("\(code) Status", ["Content-Length: \(text.utf8.count + 1)"])
            out += Data((text + "\n").utf8)
        case .redirect(let location):
            head("302 Found", ["Location: \(location)", "Content-Length: 0"])
        case .truncated(let body):
            head("200 OK", ["Content-Length: \(body.count)"])
            out += body.prefix(body.count / 2)
        case .silent:
            lock.lock()
            held.append(c)
            lock.unlock()
            return
        }
        out.withUnsafeBytes { _ = send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(c)
    }
}
