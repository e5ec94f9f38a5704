/// Escapes in Go's syntax (`\d`, `\pL`, `\x{41}`, `\123`, `\Q...\E`) and what they stand for.
extension RE2Translator {
    // Go's one-letter Unicode categories and the two-letter ones.
    static let categories: Set<String> = [
        "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl",
        "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
    ]

    /// A backslash escape at i, outside or inside a class.
    mutating func escape(inClass: Bool) throws(Refusal) -> Item {
        let start = i
        guard i + 1 < s.count else { throw Refusal(message: "trailing backslash at end of expression: ``") }
        let c = s[i + 1]
        i += 2
        switch c {
        case "Q" where !inClass:
            var end = i
            while end < s.count && !(s[end] == "\\" && end + 1 < s.count && s[end + 1] == "E") { end += 1 }
            let values = s[i..<end].map(\.value)
            i = end < s.count ? end + 2 : end
            return .literals(values)
        case "d": return .set("0-9")
        case "D": return .set("[^0-9]")
        case "s": return .set("\\t\\n\\f\\r ")
        case "S": return .set("[^\\t\\n\\f\\r ]")
        case "w": return .set("0-9A-Za-z_")
        case "W": return .set("[^0-9A-Za-z_]")
        case "b", "B", "A", "z":
            if inClass { throw refuse("invalid escape sequence", start, i) }
            return .assertion("\\" + String(Character(c)))
        case "a": return .single(7)
        case "f": return .single(12)
        case "t": return .single(9)
        case "n": return .single(10)
        case "r": return .single(13)
        case "v": return .single(11)
        case "p", "P": return try unicodeClass(start: start, negated: c == "P")
        case "x":
            if i < s.count && s[i] == "{" {
                // Hex digits up to '}', at least one; Go's message ends at the first other one.
                var j = i + 1, v: UInt32 = 0
                while j < s.count && s[j] != "}" {
                    guard s[j].properties.isASCIIHexDigit, let d = UInt32(String(Character(s[j])), radix: 16),
                          v * 16 + d <= 0x10FFFF else {
                        throw refuse("invalid escape sequence", start, j + 1)
                    }
                    v = v * 16 + d
                    j += 1
                }
                guard j < s.count, j > i + 1 else { throw refuse("invalid escape sequence", start, min(j + 1, s.count)) }
                i = j + 1
                return .single(v)
            }
            // Exactly two hex digits (UInt32("+A", radix: 16) would take a sign).
            guard i + 1 < s.count, s[i].properties.isASCIIHexDigit, s[i + 1].properties.isASCIIHexDigit,
                  let v = UInt32(text(i, i + 2), radix: 16) else {
                throw refuse("invalid escape sequence", start, min(i + 2, s.count))
            }
            i += 2
            return .single(v)
        case "0"..."7":
            // One digit 1-7 alone is a backreference, which Go does not support; otherwise octal.
            if c != "0" && !(i < s.count && Self.isOctal(s[i])) { throw refuse("invalid escape sequence", start, i) }
            var v = c.value - 48
            var n = 0
            while n < 2 && i < s.count && Self.isOctal(s[i]) {
                v = v * 8 + (s[i].value - 48)
                i += 1
                n += 1
            }
            return .single(v)
        default:
            // Go takes any other ASCII character but a letter or digit after a backslash as itself.
            if c.isASCII && !c.properties.isAlphabetic && !Self.isDigit(c) {
                return .single(c.value)
            }
            throw refuse("invalid escape sequence", start, i)
        }
    }

    /// `\pL`, `\p{Greek}`, `\p{^Greek}` (i is after the `p`).
    mutating func unicodeClass(start: Int, negated: Bool) throws(Refusal) -> Item {
        var name: String
        if i < s.count && s[i] == "{" {
            var end = i + 1
            while end < s.count && s[end] != "}" { end += 1 }
            guard end < s.count else { throw refuse("invalid character class range", start, s.count) }
            name = text(i + 1, end)
            i = end + 1
        } else {
            guard i < s.count else { throw refuse("invalid character class range", start, i) }
            name = String(Character(s[i]))
            i += 1
        }
        var negated = negated
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        if name == "Any" { return .set(negated ? "[^\\u{0}-\\u{10ffff}]" : "\\u{0}-\\u{10ffff}") }
        // A category, or a script (letters and '_': Swift refuses one it does not know).
        let isName = !name.isEmpty && name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) }
        if !isName || (name.count <= 2 && !Self.categories.contains(name) && name != "Yi") {
            throw refuse("invalid character class range", start, i)
        }
        return .set((negated ? "\\P{" : "\\p{") + name + "}")
    }
}
