/// An HTTP request as the memprof routes see it, independent of any server framework: a
/// SwiftNIO pipeline, Vapor or Hummingbird fill one in and pass it to
/// `MemprofRequestHandler.handle(_:)`.
public struct MemprofRequest: Sendable {
    /// The method, e.g. `GET` (compared case-sensitively, as HTTP requires).
    public var method: String
    /// The request target as sent: the path with an optional query, e.g.
    /// `/debug/pprof/heap?debug=1`. An absolute URI (`http://host/path?q`) is accepted too.
    public var uri: String
    /// Header fields in the order received; names compare case-insensitively.
    public var headers: [(name: String, value: String)]
    /// The body (only `POST /debug/pprof/symbol` reads one).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String = "GET", uri: String, headers: [(name: String, value: String)] = [],
                body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path part of `uri`, without the query or a fragment (not percent-decoded: the
    /// routes are plain ASCII).
    public var path: Substring {
        var target = Substring(uri)
        if let scheme = target.firstRange(of: "://") {
            // Absolute form: drop scheme and authority.
            let rest = target[scheme.upperBound...]
            target = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        let end = target.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? target.endIndex
        return target[..<end]
    }

    /// The raw query after `?` (without a fragment), empty when there is none.
    public var rawQuery: Substring {
        guard let question = uri.firstIndex(of: "?") else { return "" }
        let rest = uri[uri.index(after: question)...]
        return rest[..<(rest.firstIndex(of: "#") ?? rest.endIndex)]
    }

    /// The value of the first header named `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
