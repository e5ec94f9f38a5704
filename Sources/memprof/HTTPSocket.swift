import Foundation

/// A blocking TCP client socket whose every operation honours a deadline (via `poll`).
struct HTTPSocket {
    let fd: Int32

    /// Connects to `host:port` (any address `getaddrinfo` gives, IPv4 or IPv6, in order).
    static func connect(host: String, port: UInt16, deadline: Date) throws -> HTTPSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPFetcher.Failure("cannot resolve host \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = errno; continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                return HTTPSocket(fd: fd)
            }
            if errno == EINPROGRESS, HTTPSocket.wait(fd, for: Int16(POLLOUT), deadline: deadline) {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err == 0 { return HTTPSocket(fd: fd) }
                lastError = err
            } else {
                lastError = errno == EINPROGRESS ? ETIMEDOUT : errno
            }
            Glibc.close(fd)
            if Date() >= deadline { lastError = ETIMEDOUT; break }
        }
        throw HTTPFetcher.Failure("cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Waits until `fd` is ready for `events`; false on timeout.
    static func wait(_ fd: Int32, for events: Int16, deadline: Date) -> Bool {
        while true {
            let ms = Int32(max(0, min(Double(Int32.max), deadline.timeIntervalSinceNow * 1000)))
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, ms)
            if n > 0 { return true }
            if n == 0 { return false }
            if errno != EINTR { return true }  // let the next call report the error
        }
    }

    func send(_ bytes: [UInt8], deadline: Date) throws {
        var offset = 0
        while offset < bytes.count {
            guard HTTPSocket.wait(fd, for: Int16(POLLOUT), deadline: deadline) else {
                throw HTTPFetcher.Failure("timed out sending the request")
            }
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw HTTPFetcher.Failure("cannot send the request: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// The next bytes received, or nil at end of stream.
    func receive(deadline: Date) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            guard HTTPSocket.wait(fd, for: Int16(POLLIN), deadline: deadline) else {
                throw HTTPFetcher.Failure("timed out waiting for the response")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return nil }
            if errno == EINTR || errno == EAGAIN { continue }
            throw HTTPFetcher.Failure("connection error: \(String(cString: strerror(errno)))")
        }
    }

    func close() { Glibc.close(fd) }
}
