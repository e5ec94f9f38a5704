import MemprofProfile

/// An HTTP response built by `MemprofRequestHandler`: a status, header fields and the whole
/// body. A server adapter writes it as is (adding `Content-Length`).
public struct MemprofResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields, in order (never `Content-Length`: the adapter adds it).
    public var headers: [(name: String, value: String)]
    /// The complete body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The standard reason phrase of `status` ("OK", "Not Found", ...).
    public var reasonPhrase: String { MemprofResponse.reasonPhrase(status) }
}

extension MemprofResponse {
    static let plainText = "text/plain; charset=utf-8"

    /// A text body with `nosniff`, as Go's pprof handlers send.
    static func text(_ text: String, status: Int = 200, contentType: String = plainText) -> MemprofResponse {
        var body = AllocationSizeClass.bytes(reserving: text.utf8.count)
        body.append(contentsOf: text.utf8)
        return self.text(bytes: body, status: status, contentType: contentType)
    }

    /// A text body already encoded as UTF-8 (kept as is: no copy).
    static func text(bytes: [UInt8], status: Int = 200, contentType: String = plainText) -> MemprofResponse {
        MemprofResponse(status: status,
                        headers: [("Content-Type", contentType), ("X-Content-Type-Options", "nosniff")],
                        body: bytes)
    }

    /// An error as Go's `serveError`: a one-line plain-text message and `X-Go-Pprof: 1`.
    static func error(_ status: Int, _ message: String, headers extra: [(name: String, value: String)] = []) -> MemprofResponse {
        var response = text(message + "\n", status: status)
        response.headers.append(("X-Go-Pprof", "1"))
        response.headers += extra
        return response
    }

    /// A binary profile download, as Go names it (`attachment; filename="heap"`).
    static func profile(_ bytes: [UInt8], filename: String) -> MemprofResponse {
        MemprofResponse(status: 200, headers: [
            ("Content-Type", "application/octet-stream"),
            ("Content-Disposition", "attachment; filename=\"\(filename)\""),
            ("X-Content-Type-Options", "nosniff"),
        ], body: bytes)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 301: return "Moved Permanently"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 499: return "Client Closed Request"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
