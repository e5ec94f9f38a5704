/// Parses `application/x-www-form-urlencoded` query strings as Go's `url.ParseQuery` does:
/// pairs separated by `&`, `+` means a space, `%XX` escapes. Malformed escapes are an error
/// (Go drops the whole query then; we answer 400).
struct QueryString {
    /// The pairs in order; a key without `=` has an empty value.
    var pairs: [(key: String, value: String)]

    /// Longest accepted query, in bytes: the routes take at most three small integers.
    static let maxLength = 1024
    /// Most pairs accepted.
    static let maxPairs = 32

    struct Malformed: Error, Equatable {
        var message: String
    }

    init(_ raw: Substring) throws(Malformed) {
        guard raw.utf8.count <= QueryString.maxLength else {
            throw Malformed(message: "query too long (more than \(QueryString.maxLength) bytes)")
        }
        pairs = []
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            guard pairs.count < QueryString.maxPairs else {
                throw Malformed(message: "too many query parameters (more than \(QueryString.maxPairs))")
            }
            let equals = part.firstIndex(of: "=")
            let key = try QueryString.unescape(part[..<(equals ?? part.endIndex)])
            var value = ""
            if let equals { value = try QueryString.unescape(part[part.index(after: equals)...]) }
            pairs.append((key, value))
        }
    }

    /// The first value of `key`, or nil when absent (Go's `FormValue` gives "" then).
    func first(_ key: String) -> String? {
        pairs.first { $0.key == key }?.value
    }

    /// Decodes `%XX` and `+`; rejects truncated or non-hex escapes and invalid UTF-8.
    static func unescape(_ text: Substring) throws(Malformed) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw Malformed(message: "invalid percent escape in query")
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw Malformed(message: "query is not valid UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
