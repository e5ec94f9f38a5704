import Foundation

/// Fetches one resource over HTTP: a minimal HTTP/1.1 `GET` over a socket for `http://`
/// (no libcurl, clear errors, a hard deadline), and the `curl` program for `https://`
/// (linking FoundationNetworking for TLS loaded 30 libraries at every start of memprof,
/// ~6 ms CPU before `memprof run` could start its program).
///
/// Follows up to five redirects, reads `Content-Length` and chunked bodies, and refuses
/// bodies larger than `maxBytes`. Anything but status 200 is an error naming the status.
struct HTTPFetcher {
    /// Seconds allowed for the whole fetch (connect, request, response).
    var timeout: Double
    /// Largest body accepted.
    var maxBytes: Int

    /// Why a fetch failed, as one line (`connection refused`, `HTTP 404 Not Found`).
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The body of `url` after redirects.
    func get(_ url: String) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        var current = url
        for _ in 0..<6 {
            if current.hasPrefix("https://") { return try getTLS(current, deadline: deadline) }
            let target = try HTTPTarget(current)
            let response = try exchange(target, deadline: deadline)
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.headers["location"] {
                current = target.resolve(location)
                continue
            }
            guard response.status == 200 else {
                let hint = String(decoding: response.body.prefix(200), as: UTF8.self)
                    .split(whereSeparator: \.isNewline).first.map { ": " + $0 } ?? ""
                throw Failure("HTTP \(response.status) \(response.reason)\(hint)")
            }
            return response.body
        }
        throw Failure("too many redirects")
    }

    private func exchange(_ target: HTTPTarget, deadline: Date) throws -> HTTPResponse {
        let socket = try HTTPSocket.connect(host: target.host, port: target.port, deadline: deadline)
        defer { socket.close() }
        let request = "GET \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: memprof\r\n"
            + "Accept: */*\r\nConnection: close\r\n\r\n"
        try socket.send(Array(request.utf8), deadline: deadline)
        var raw: [UInt8] = []
        while let chunk = try socket.receive(deadline: deadline) {
            raw += chunk
            if raw.count > maxBytes + 65536 { throw Failure("response larger than \(maxBytes >> 20) MiB") }
        }
        return try HTTPResponse(raw)
    }

    private func getTLS(_ url: String, deadline: Date) throws -> [UInt8] {
        try CurlFetch.get(url, timeout: max(0.1, deadline.timeIntervalSinceNow), maxBytes: maxBytes)
    }
}

/// The parts of an `http://` URL a request needs.
struct HTTPTarget {
    var host: String
    var port: UInt16
    /// Path and query, at least `/`.
    var path: String
    /// `host[:port]` for the `Host:` header.
    var hostHeader: String

    init(_ url: String) throws {
        guard url.hasPrefix("http://") else { throw HTTPFetcher.Failure("not an http URL") }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        var path = String(rest[authorityEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        hostHeader = authority
        var portText = "80"
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HTTPFetcher.Failure("bad host in URL") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = String(authority[authority.index(after: colon)...])
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw HTTPFetcher.Failure("no host in URL") }
        guard let port = UInt16(portText), port > 0 else { throw HTTPFetcher.Failure("bad port \"\(portText)\" in URL") }
        self.port = port
        self.path = path
    }

    /// An absolute URL for a redirect's `Location`.
    func resolve(_ location: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        if location.hasPrefix("/") { return "http://\(hostHeader)\(location)" }
        let dir = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let base = dir.hasSuffix("/") ? dir : String(dir[...(dir.lastIndex(of: "/") ?? dir.startIndex)])
        return "http://\(hostHeader)\(base)\(location)"
    }
}

/// A parsed HTTP/1.x response.
struct HTTPResponse {
    var status: Int
    var reason: String
    /// Header names lower-cased; the last value wins.
    var headers: [String: String]
    var body: [UInt8]

    init(_ raw: [UInt8]) throws {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.firstRange(of: separator) else {
            throw HTTPFetcher.Failure(raw.isEmpty ? "server closed the connection without a response" : "truncated HTTP response")
        }
        let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw HTTPFetcher.Failure("not an HTTP response")
        }
        self.status = status
        reason = statusParts.count > 2 ? String(statusParts[2]) : ""
        headers = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = Array(raw[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try HTTPResponse.dechunk(rest)
        } else if let lengthText = headers["content-length"], let length = Int(lengthText) {
            guard rest.count >= length else {
                throw HTTPFetcher.Failure("connection closed after \(rest.count) of \(length) bytes")
            }
            body = Array(rest.prefix(length))
        } else {
            body = rest
        }
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = data[i...].firstRange(of: [13, 10]) else { throw HTTPFetcher.Failure("truncated chunked body") }
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { throw HTTPFetcher.Failure("bad chunk size") }
            i = lineEnd.upperBound
            if size == 0 { return out }
            guard data.count - i >= size + 2 else { throw HTTPFetcher.Failure("truncated chunked body") }
            out += data[i..<(i + size)]
            i += size + 2
        }
    }
}
