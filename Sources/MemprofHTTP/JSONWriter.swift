/// A minimal JSON writer for the flat documents this module serves (no Foundation): objects,
/// arrays, integers, booleans, strings and null, written in order into a byte buffer.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the container being written still has no member (no comma needed).
    private var isFirst: [Bool] = []

    init() { bytes.reserveCapacity(4096) }

    mutating func object(_ key: String? = nil, _ body: (inout JSONWriter) -> Void) {
        container(key, open: "{", close: "}", body)
    }

    mutating func array(_ key: String? = nil, _ body: (inout JSONWriter) -> Void) {
        container(key, open: "[", close: "]", body)
    }

    mutating func field<T: BinaryInteger>(_ key: String, _ value: T) {
        member(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: Bool) {
        member(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ key: String, _ value: String) {
        member(key)
        string(value)
    }

    mutating func null(_ key: String) {
        member(key)
        bytes.append(contentsOf: "null".utf8)
    }

    private mutating func container(_ key: String?, open: Unicode.Scalar, close: Unicode.Scalar,
                                    _ body: (inout JSONWriter) -> Void) {
        member(key)
        bytes.append(UInt8(ascii: open))
        isFirst.append(true)
        body(&self)
        isFirst.removeLast()
        bytes.append(UInt8(ascii: close))
    }

    /// Writes the separator and, inside an object, the key.
    private mutating func member(_ key: String?) {
        if let last = isFirst.indices.last {
            if !isFirst[last] { bytes.append(UInt8(ascii: ",")) }
            isFirst[last] = false
        }
        if let key {
            string(key)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// A string literal with JSON's escapes (control characters as \u00XX).
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
