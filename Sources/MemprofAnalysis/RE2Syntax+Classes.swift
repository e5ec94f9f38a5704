/// Character classes in Go's syntax (`[a-z]`, `[^\d-]`, `[[:alpha:]]`), written as Swift classes.
extension RE2Translator {
    static let posixClasses: [String: String] = [
        "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\u{0}-\\u{7f}", "blank": "\\t ",
        "cntrl": "\\u{0}-\\u{1f}\\u{7f}", "digit": "0-9", "graph": "!-~", "lower": "a-z",
        "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\u{b}\\f\\r ", "upper": "A-Z",
        "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
    ]

    /// `[...]` at i.
    mutating func characterClass() throws(Refusal) -> String {
        let start = i
        i += 1
        var r = "["
        if i < s.count && s[i] == "^" {
            r += "^"
            i += 1
        }
        var first = true
        while true {
            guard i < s.count else { throw refuse("missing closing ]", start, s.count) }
            if s[i] == "]" && !first {
                i += 1
                break
            }
            first = false
            let itemStart = i
            let low = try classItem()
            guard case .single(let lo) = low else {
                if case .set(let set) = low { r += set }
                continue
            }
            // A range `lo-hi`; `-` before the closing `]` is a literal.
            if i + 1 < s.count && s[i] == "-" && s[i + 1] != "]" {
                i += 1
                let hi = try classChar()
                guard hi >= lo else { throw refuse("invalid character class range", itemStart, i) }
                r += Self.scalarText(lo, inClass: true) + "-" + Self.scalarText(hi, inClass: true)
            } else {
                r += Self.scalarText(lo, inClass: true)
            }
        }
        return r + "]"
    }

    /// One item of a class at i: a character, a POSIX class, an escape.
    mutating func classItem() throws(Refusal) -> Item {
        let c = s[i]
        if c == "[" && peek(1) == ":" {
            // [:name:] or [:^name:]; without the closing ":]" the '[' is a literal.
            var end = i + 2
            while end + 1 < s.count && !(s[end] == ":" && s[end + 1] == "]") { end += 1 }
            if end + 1 < s.count {
                var name = text(i + 2, end)
                let negated = name.hasPrefix("^")
                if negated { name.removeFirst() }
                guard let set = Self.posixClasses[name] else { throw refuse("invalid character class range", i, end + 2) }
                i = end + 2
                return .set(negated ? "[^" + set + "]" : set)
            }
        }
        if c == "\\" {
            switch try escape(inClass: true) {
            case .single(let v): return .single(v)
            case .set(let set): return .set(set)
            case .assertion, .literals: return .set("")  // not reached: refused inside a class
            }
        }
        i += 1
        return .single(c.value)
    }

    /// The end of a range at i: one character, plain or escaped (`a-\d` is refused as Go does).
    mutating func classChar() throws(Refusal) -> UInt32 {
        let c = s[i]
        guard c == "\\" else {
            i += 1
            return c.value
        }
        let start = i
        // A class escape cannot end a range: Go reads it as an unknown single-character escape.
        if i + 1 < s.count && "pPdDsSwW".unicodeScalars.contains(s[i + 1]) { throw refuse("invalid escape sequence", start, start + 2) }
        guard case .single(let v) = try escape(inClass: true) else {
            throw refuse("invalid escape sequence", start, start + 2)
        }
        return v
    }
}
