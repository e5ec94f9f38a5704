/// The lines of a legacy text profile (`\n`, `\r\n` or `\r` endings), as byte arrays.
struct LegacyLines {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> [UInt8]? {
        guard position < bytes.count else { return nil }
        var end = position
        while end < bytes.count && bytes[end] != 10 && bytes[end] != 13 { end += 1 }
        let line = Array(bytes[position..<end])
        if end < bytes.count && bytes[end] == 13 && end + 1 < bytes.count && bytes[end + 1] == 10 { end += 1 }
        position = end + 1
        return line
    }
}

/// A cursor over one line, for the fixed shapes of pprof's legacy regexes.
private struct LineCursor {
    let line: [UInt8]
    var i: Int

    var atEnd: Bool { i >= line.count }
    mutating func spaces() { while i < line.count && line[i] == 32 { i += 1 } }
    mutating func literal(_ text: String) -> Bool {
        let t = Array(text.utf8)
        guard i + t.count <= line.count, Array(line[i..<i + t.count]) == t else { return false }
        i += t.count
        return true
    }
    /// `-?\d+` (with `signed`) or `\d+`.
    mutating func number(signed: Bool = false) -> [UInt8]? {
        let start = i
        if signed && i < line.count && line[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < line.count && line[i].isDigit { i += 1 }
        if i == digits {
            i = start
            return nil
        }
        return Array(line[start..<i])
    }
    /// ` *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\]`: the four counts of a header.
    mutating func bracketedCounts(signedInuse: Bool) -> [[UInt8]]? {
        guard let a = number(signed: signedInuse), literal(":") else { return nil }
        spaces()
        guard let b = number(signed: signedInuse) else { return nil }
        spaces()
        guard literal("[") else { return nil }
        spaces()
        guard let c = number(), literal(":") else { return nil }
        spaces()
        guard let d = number() else { return nil }
        spaces()
        guard literal("]") else { return nil }
        return [a, b, c, d]
    }
}

/// A legacy heap profile's first line, as pprof's `heapHeaderRE` (and its growth and
/// fragmentation variants) read it.
struct LegacyHeapHeader {
    var period: Int64
    var hasAlloc: Bool
    /// Records are sampled (`heap`, `heap_v2`): their counts are scaled up.
    var scaled: Bool

    init?(_ line: [UInt8]) {
        let marker = Array("heap profile:".utf8)
        var start = 0
        while let at = line.firstRange(of: marker, from: start) {
            start = at + 1
            var c = LineCursor(line: line, i: at + marker.count)
            c.spaces()
            guard let counts = c.bracketedCounts(signedInuse: false) else { continue }
            let afterCounts = c.i
            c.spaces()
            if c.literal("@") {
                c.spaces()
                let kindStart = c.i
                if c.literal("heap") {
                    while !c.atEnd && (c.line[c.i].isDigit || (97...122).contains(c.line[c.i]) || c.line[c.i] == 95) { c.i += 1 }
                    let kind = String(decoding: line[kindStart..<c.i], as: UTF8.self)
                    _ = c.literal("/")
                    var period: Int64 = 0
                    if let digits = c.number() {
                        guard let p = Int64(decimal: digits) else { return nil }
                        period = p
                    }
                    hasAlloc = (counts[2] != counts[0] && counts[2] != Array("0".utf8))
                        || (counts[3] != counts[1] && counts[3] != Array("0".utf8))
                    switch kind {
                    case "heapz_v2", "heap_v2": (self.period, scaled) = (period, true)
                    case "heapprofile": (self.period, scaled) = (1, false)
                    case "heap": (self.period, scaled) = (period / 2, true)
                    default: return nil
                    }
                    return
                }
            }
            c.i = afterCounts
            if c.literal(" @ growth") || c.literal(" @ fragmentation") {
                (period, hasAlloc, scaled) = (1, false, false)
                return
            }
        }
        return nil
    }
}

/// One record line, as pprof's `heapSampleRE` finds it (anywhere in the line).
struct LegacyHeapRecord {
    var inuseCount: [UInt8], inuseBytes: [UInt8], allocCount: [UInt8], allocBytes: [UInt8]
    /// The hex digits of each `0x...` return address.
    var addresses: [[UInt8]]

    init?(_ line: [UInt8]) {
        for start in line.indices where line[start].isDigit || line[start] == UInt8(ascii: "-") {
            var c = LineCursor(line: line, i: start)
            guard let counts = c.bracketedCounts(signedInuse: true) else { continue }
            // ` *] @`: the bracket is followed by exactly one space and the @.
            guard c.literal(" @") else { continue }
            let stackStart = c.i
            while !c.atEnd && (c.line[c.i] == 32 || c.line[c.i] == UInt8(ascii: "x") || c.line[c.i].isHexLower) { c.i += 1 }
            (inuseCount, inuseBytes, allocCount, allocBytes) = (counts[0], counts[1], counts[2], counts[3])
            addresses = LegacyHeapRecord.hexNumbers(Array(line[stackStart..<c.i]))
            return
        }
        return nil
    }

    /// Every `0x[0-9a-f]+` in `text`, left to right.
    static func hexNumbers(_ text: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i + 2 < text.count {
            if text[i] == UInt8(ascii: "0") && text[i + 1] == UInt8(ascii: "x") && text[i + 2].isHexLower {
                var end = i + 2
                while end < text.count && text[end].isHexLower { end += 1 }
                out.append(Array(text[(i + 2)..<end]))
                i = end
            } else {
                i += 1
            }
        }
        return out
    }
}

/// A `#	0x443387	runtime.malg+0x27	runtime/proc.go:4076` line: a frame at an address.
struct LegacyFrame {
    var pc: UInt64
    var symbol: (name: String, file: String, line: Int64)

    init?(_ line: [UInt8]) {
        let fields = line.dropFirst().split(separator: 9).filter { !$0.isEmpty }
        guard fields.count >= 3, fields[0].starts(with: Array("0x".utf8)),
              let pc = UInt64(hexDigits: Array(fields[0].dropFirst(2))) else { return nil }
        // `name+0x27`: the offset from the function's entry goes.
        var nameBytes = Array(fields[1])
        if let plus = nameBytes.lastIndex(of: UInt8(ascii: "+")), plus + 3 < nameBytes.count,
           nameBytes[plus + 1] == UInt8(ascii: "0"), nameBytes[plus + 2] == UInt8(ascii: "x"),
           nameBytes[(plus + 3)...].allSatisfy({ $0.isHexLower || (65...70).contains($0) }) {
            nameBytes.removeSubrange(plus...)
        }
        guard !nameBytes.isEmpty else { return nil }
        let name = String(decoding: nameBytes, as: UTF8.self)
        let place = String(decoding: fields[2], as: UTF8.self)
        var file = place, number: Int64 = 0
        if let colon = place.lastIndex(of: ":"), let n = Int64(place[place.index(after: colon)...]) {
            file = String(place[..<colon])
            number = n
        }
        self.pc = pc
        symbol = (name, file, number)
    }
}

extension UInt8 {
    var isDigit: Bool { (48...57).contains(self) }
    var isHexLower: Bool { isDigit || (97...102).contains(self) }
}

extension Array where Element == UInt8 {
    var trimmingASCIIWhitespace: [UInt8] {
        let isSpace: (UInt8) -> Bool = { $0 == 32 || (9...13).contains($0) }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(self[first...last])
    }

    func containsBytes(_ text: String) -> Bool { firstRange(of: Array(text.utf8), from: 0) != nil }

    /// The index where `needle` first occurs at or after `from`.
    func firstRange(of needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, count >= needle.count, from <= count - needle.count else { return nil }
        for i in from...(count - needle.count) where self[i] == needle[0] && Array(self[i..<i + needle.count]) == needle {
            return i
        }
        return nil
    }
}

extension Int64 {
    /// `-?\d+` in decimal; nil when out of range.
    init?(decimal bytes: [UInt8]) {
        guard let v = Int64(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = v
    }
}

extension UInt64 {
    /// Hex digits without a prefix; nil when empty or over 64 bits.
    init?(hexDigits bytes: [UInt8]) {
        guard !bytes.isEmpty, let v = UInt64(String(decoding: bytes, as: UTF8.self), radix: 16) else { return nil }
        self = v
    }
}

/// A record of a count profile, `5 @ 0x437556 0x40619b`, as pprof's `countRE` reads it (the
/// whole line: one space before each address, at least one).
struct LegacyCountRecord {
    var count: Int64
    var addresses: [UInt64]

    init?(_ line: [UInt8]) {
        guard let at = line.firstRange(of: Array(" @".utf8), from: 0), at > 0,
              line[..<at].allSatisfy(\.isDigit), let count = LegacyCountRecord.goInt(Array(line[..<at])) else { return nil }
        var addresses: [UInt64] = []
        var i = at + 2
        while i < line.count {
            guard i + 3 < line.count, line[i] == 32, line[i + 1] == UInt8(ascii: "0"), line[i + 2] == UInt8(ascii: "x")
            else { return nil }
            var end = i + 3
            while end < line.count && line[end].isHexLower { end += 1 }
            guard end > i + 3, let address = UInt64(hexDigits: Array(line[(i + 3)..<end])) else { return nil }
            addresses.append(address)
            i = end
        }
        guard !addresses.isEmpty else { return nil }
        (self.count, self.addresses) = (count, addresses)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` of decimal digits: a leading 0 means octal.
    private static func goInt(_ digits: [UInt8]) -> Int64? {
        let text = String(decoding: digits, as: UTF8.self)
        if digits.count > 1 && digits[0] == UInt8(ascii: "0") { return Int64(text.dropFirst(), radix: 8) }
        return Int64(text)
    }

    /// The `NAME` of a header line `NAME profile: total N` (the whole line), or nil.
    static func profileType(_ line: [UInt8]) -> String? {
        guard let space = line.firstIndex(of: 32), space > 0,
              !line[..<space].contains(where: { $0 == 9 || $0 == 10 || $0 == 12 || $0 == 13 }) else { return nil }  // RE2's \S
        let rest = Array(line[space...])
        let prefix = Array(" profile: total ".utf8)
        guard rest.starts(with: prefix), rest.count > prefix.count, rest[prefix.count...].allSatisfy(\.isDigit) else { return nil }
        return String(decoding: line[..<space], as: UTF8.self)
    }
}

/// A record of a contention profile, `343917566 136 @ 0x4b3fbc 0x4b3f92`, as pprof's
/// `contentionSampleRE` finds it (anywhere in the line, with its backtracking: in `12 @ 0x1`
/// the two numbers are 1 and 2).
struct LegacyContentionRecord {
    var cycles: [UInt8], count: [UInt8]
    var addresses: [[UInt8]]

    static func isHeader(_ line: [UInt8]) -> Bool {
        ["--- contentionz ", "--- mutex:", "--- contention:"].contains { line.starts(with: Array($0.utf8)) }
    }

    init?(_ line: [UInt8]) {
        for start in line.indices where line[start].isDigit {
            var run = start
            while run < line.count && line[run].isDigit { run += 1 }
            for split in stride(from: run, to: start, by: -1) {
                // The first number is line[start..<split]; the second follows after spaces
                // (only where the first took the whole run), and ends right before " @".
                var second = split
                if split == run { while second < line.count && line[second] == 32 { second += 1 } }
                var end = second
                while end < line.count && line[end].isDigit { end += 1 }
                guard end > second, end + 1 < line.count, line[end] == 32, line[end + 1] == UInt8(ascii: "@") else { continue }
                var stackEnd = end + 2
                while stackEnd < line.count && (line[stackEnd] == 32 || line[stackEnd] == UInt8(ascii: "x") || line[stackEnd].isHexLower) {
                    stackEnd += 1
                }
                cycles = Array(line[start..<split])
                count = Array(line[second..<end])
                addresses = LegacyHeapRecord.hexNumbers(Array(line[(end + 2)..<stackEnd]))
                return
            }
        }
        return nil
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, a base from the prefix (`0x`, `0o`,
/// `0b`, or a leading `0` for octal), underscores between digits; nil when invalid or out of
/// range.
func goParseInt(_ s: String) -> Int64? {
    var digits = Substring(s)
    var negative = false
    if let sign = digits.first, sign == "+" || sign == "-" {
        negative = sign == "-"
        digits = digits.dropFirst()
    }
    var radix = 10
    var afterPrefix = false
    let lower = digits.lowercased()
    if lower.hasPrefix("0x") || lower.hasPrefix("0o") || lower.hasPrefix("0b") {
        radix = lower.hasPrefix("0x") ? 16 : lower.hasPrefix("0o") ? 8 : 2
        digits = digits.dropFirst(2)
        afterPrefix = true
    } else if digits.count > 1 && digits.first == "0" {
        radix = 8
        digits = digits.dropFirst()
        afterPrefix = true
    }
    // Underscores only after a digit or the prefix, never last (Go's underscoreOK).
    var saw: Character = afterPrefix ? "0" : "^"
    for c in digits {
        if c == "_" {
            if saw != "0" { return nil }
            saw = "_"
        } else {
            saw = "0"
        }
    }
    if saw == "_" { return nil }
    let clean = String(digits.filter { $0 != "_" })
    guard !clean.isEmpty, let magnitude = UInt64(clean, radix: radix) else { return nil }
    if negative { return magnitude <= 1 << 63 ? Int64(bitPattern: 0 &- magnitude) : nil }
    return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
}
