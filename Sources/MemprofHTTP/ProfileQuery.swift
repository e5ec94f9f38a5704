/// The query parameters of `/debug/pprof/heap` and `/debug/pprof/allocs`, validated with
/// Go's rules plus bounds: `debug` (0 = gzipped profile.proto, 1 or 2 = legacy text), `gc`
/// (non-zero = release free memory first, heap only), `seconds` (a delta profile) and
/// `symbolize` (0 = addresses, mappings and build IDs only; 1 = named, the default).
/// Parameters other than these are ignored, as Go does; an empty value counts as absent.
struct ProfileQuery: Equatable {
    var debug = 0
    var releaseMemoryFirst = false
    /// Length of a delta profile; nil for a plain snapshot.
    var seconds: Int?
    /// `symbolize=0`: addresses, mappings and build IDs only; nil: the server's setting.
    var symbolize: Bool?

    /// A rejected query: the status and the one-line message to send.
    struct Rejection: Error, Equatable {
        var status: Int
        var message: String
    }

    /// Longest accepted integer value, in characters.
    static let maxDigits = 9

    /// Validates `query` for profile `name`; `maxSeconds` is the longest delta the server allows.
    init(_ query: QueryString, maxSeconds: Int) throws(Rejection) {
        let debug = try Self.integer(query, "debug", allowed: 0...2, rule: "must be 0, 1 or 2")
        if let secondsText = query.first("seconds"), !secondsText.isEmpty {
            // Go's order: the value, then the server's limit, then the debug conflict.
            guard let seconds = Self.parse(secondsText), seconds > 0 else {
                throw Rejection(status: 400, message: #"invalid value for "seconds" - must be a positive integer"#)
            }
            guard seconds <= maxSeconds else {
                throw Rejection(status: 400, message: #"profile duration exceeds the server's limit of \#(maxSeconds) seconds"#)
            }
            guard (debug ?? 0) == 0 else {
                throw Rejection(status: 400, message: "seconds and debug params are incompatible")
            }
            self.seconds = seconds
        }
        self.debug = debug ?? 0
        let gc = try Self.integer(query, "gc", allowed: 0...Int(Int32.max), rule: "must be a non-negative integer")
        releaseMemoryFirst = (gc ?? 0) > 0
        symbolize = try Self.integer(query, "symbolize", allowed: 0...1, rule: "must be 0 or 1").map { $0 == 1 }
    }

    /// The parameter as an integer in `allowed`, nil when absent or empty.
    private static func integer(_ query: QueryString, _ key: String, allowed: ClosedRange<Int>,
                                rule: String) throws(Rejection) -> Int? {
        guard let text = query.first(key), !text.isEmpty else { return nil }
        guard let value = parse(text), allowed.contains(value) else {
            throw Rejection(status: 400, message: #"invalid value for "\#(key)" - \#(rule)"#)
        }
        return value
    }

    /// A decimal integer with an optional sign, at most `maxDigits` digits; nil otherwise.
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        var sign = 1
        if let first = digits.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= maxDigits, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        return Int(digits).map { $0 * sign }
    }
}
