/// Go's regular expression syntax (RE2, as `regexp.Compile` parses it) rewritten into Swift's
/// regex syntax, so that a pattern given to `--focus`, `list` or `peek` matches what it matches
/// in `go tool pprof` and is refused where Go refuses it.
///
/// Where the two syntaxes read the same text differently, the text is rewritten to Go's meaning:
/// - `\d`, `\s`, `\w` and the POSIX classes (`[[:alpha:]]`) are ASCII only in Go; they become
///   explicit ASCII sets (`\s` is `[\t\n\f\r ]`, without `\v`). `.` is anything but `\n`.
/// - `{` that does not start a repeat count (`a{,3}`, `x{y}`) is a literal in Go; so is `<`
///   before `{` (Swift's interpolation).
/// - In a class, `&&`, `~~`, `--`, `[` and a leading `:` are set operations, nested classes or
///   POSIX classes in Swift but literals in Go; `]` right after `[` or `[^` is a literal; `-`
///   after a class escape (`[\d-z]`) is a literal.
/// - `\pL` (a one-letter Unicode class), `\p{^Greek}`, `\Q...\E`, octal `\123`, `\x7F`.
/// - A repeat after a flag group applies to what came before it (`x(?i)*` is `x*(?i)`), and an
///   anchor may be repeated (`^*`).
/// What Go refuses gets Go's message: lookaround and other Perl groups (`(?=`, `(?!`, `(?<`),
/// possessive and stacked repeats (`a++`, `a**`), backreferences and escapes Go does not know
/// (`\1`, `\Z`, `\X`, `\h`, `\e`, `\u00e9`), backward ranges, unknown classes, repeat counts
/// above 1000, unbalanced parentheses.
enum RE2Syntax {
    /// A pattern Go's `regexp` would refuse, with its message.
    struct Refusal: Error, Equatable {
        /// Go's text: `invalid escape sequence: `\Z``.
        var message: String
    }

    /// A pattern in Swift's syntax.
    struct Translation: Equatable {
        var pattern: String
        /// It has `\b` or `\B`: match by grapheme cluster (with simple word boundaries), as
        /// Swift's simple boundaries between Unicode scalars do not count digits as word
        /// characters.
        var wordBoundaries: Bool
    }

    /// `pattern` in Swift regex syntax with Go's meaning.
    static func translate(_ pattern: String) throws(Refusal) -> Translation {
        var t = RE2Translator(Array(pattern.unicodeScalars))
        let swift = try t.translate()
        return Translation(pattern: swift, wordBoundaries: t.wordBoundaries)
    }
}

/// The one-pass rewriter behind `RE2Syntax.translate`: the main loop, groups and repeats here;
/// escapes and classes in the files next to this one.
struct RE2Translator {
    typealias Refusal = RE2Syntax.Refusal

    let s: [Unicode.Scalar]
    var i = 0
    var out = ""
    /// A flag group (`(?i)`) not yet written: it goes after a repeat that follows it.
    var pendingFlags = ""
    /// Something a repeat operator may apply to was just written (Go's "missing argument").
    var haveAtom = false
    /// Where the repeat operator just written started, if the last thing written was one.
    var lastRepeatStart: Int?
    /// Where each group opened and not yet closed starts in `out` (UTF-8 offsets).
    var groupStarts: [Int] = []
    /// Where the atom a repeat would apply to starts in `out`, whether it is already repeated
    /// (`A?(?i)*`: Go repeats the repeat) and whether it is an anchor (`^*`): Swift takes
    /// either only in a group.
    var atomStart = 0
    var atomRepeated = false
    var atomIsAnchor = false
    var wordBoundaries = false

    init(_ s: [Unicode.Scalar]) { self.s = s }

    /// What one escape or class item stands for.
    enum Item {
        /// One character (its value), which may start or end a range.
        case single(UInt32)
        /// A set, in Swift's syntax, usable inside a class.
        case set(String)
        /// An assertion (`\b`, `\A`), outside classes only.
        case assertion(String)
        /// `\Q...\E`: literal characters, each an atom of its own (a repeat after `\Qab\E`
        /// repeats the `b`).
        case literals([UInt32])
    }

    /// Go's `.` without the `s` flag is anything but `\n`; Swift's `.` leaves out every line
    /// break. With `(?s)` Swift's `.` takes them all, and the added set changes nothing.
    static let dot = "(?:.|[\\u{b}\\u{c}\\r\\u{85}\\u{2028}\\u{2029}])"

    func text(_ from: Int, _ to: Int) -> String {
        var r = ""
        r.unicodeScalars.append(contentsOf: s[min(from, s.count)..<min(to, s.count)])
        return r
    }

    func refuse(_ code: String, _ from: Int, _ to: Int) -> Refusal {
        Refusal(message: "\(code): `\(text(from, to))`")
    }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    static func isOctal(_ c: Unicode.Scalar) -> Bool { ("0"..."7").contains(c) }

    /// Writes `text` after any flag group waiting to be written.
    mutating func emit(_ text: String) {
        out += pendingFlags
        pendingFlags = ""
        out += text
    }

    /// Writes an atom (something a repeat may follow).
    mutating func emitAtom(_ text: String, anchor: Bool = false) {
        emit("")
        atomStart = out.utf8.count
        out += text
        atomRepeated = false
        atomIsAnchor = anchor
        haveAtom = true
        lastRepeatStart = nil
    }

    mutating func translate() throws(Refusal) -> String {
        while i < s.count {
            let c = s[i]
            switch c {
            case "\\":
                switch try escape(inClass: false) {
                case .single(let v): emitAtom(Self.scalarText(v, inClass: false))
                case .set(let set): emitAtom(set.hasPrefix("[") ? set : "[" + set + "]")
                case .assertion(let a):
                    if a == "\\b" || a == "\\B" { wordBoundaries = true }
                    emitAtom(a, anchor: true)
                case .literals(let values):
                    for v in values { emitAtom(Self.scalarText(v, inClass: false)) }
                }
            case "[":
                emitAtom(try characterClass())
            case "(":
                try group()
            case ")":
                guard let open = groupStarts.popLast() else { throw refuse("unexpected )", 0, s.count) }
                i += 1
                emit(")")
                atomStart = open
                (atomRepeated, atomIsAnchor, haveAtom, lastRepeatStart) = (false, false, true, nil)
            case "|":
                i += 1
                emit("|")
                haveAtom = false
                lastRepeatStart = nil
            case "*", "+", "?":
                try repeatOperator(length: 1)
            case "{":
                if let length = repeatCountLength() {
                    try validateRepeatCount(length)
                    try repeatOperator(length: length)
                } else {
                    i += 1
                    emitAtom("\\{")
                }
            case ".":
                i += 1
                emitAtom(Self.dot)
            case "^", "$":
                i += 1
                emitAtom(String(Character(c)), anchor: true)
            default:
                i += 1
                emitAtom(Self.scalarText(c.value, inClass: false))
            }
        }
        if !groupStarts.isEmpty { throw refuse("missing closing )", 0, s.count) }
        emit("")
        return out
    }

    /// One character as Swift regex text: escaped where Swift's syntax would read it as an
    /// operator (in a class also a range, a set operation or a POSIX class), as `\u{...}` when
    /// not printable ASCII.
    static func scalarText(_ v: UInt32, inClass: Bool) -> String {
        guard let c = Unicode.Scalar(v) else { return "" }
        if v < 0x20 || v == 0x7f { return "\\u{" + String(v, radix: 16) + "}" }
        let special: Set<Unicode.Scalar> = inClass ? ["\\", "^", "-", "[", "]", "&", "~", ":", "<"]
            : ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}", "<"]
        return special.contains(c) ? "\\" + String(Character(c)) : String(Character(c))
    }

    /// `*`, `+`, `?` or `{n,m}` of `length` scalars at i, with an optional `?` after it.
    mutating func repeatOperator(length: Int) throws(Refusal) {
        let start = i
        var end = i + length
        if end < s.count && s[end] == "?" { end += 1 }
        if let previous = lastRepeatStart {
            throw refuse("invalid nested repetition operator", previous, end)
        }
        guard haveAtom else { throw refuse("missing argument to repetition operator", start, end) }
        if atomRepeated || atomIsAnchor {
            out.insert(contentsOf: "(?:", at: out.utf8.index(out.utf8.startIndex, offsetBy: atomStart))
            out += ")"
        }
        out += text(start, end)  // right after its atom: a flag group waiting stays after it
        i = end
        lastRepeatStart = start
        atomRepeated = true
        atomIsAnchor = false
    }

    /// The length of `{n}`, `{n,}` or `{n,m}` at i, or nil when `{` starts no repeat count.
    func repeatCountLength() -> Int? {
        var j = i + 1
        func digits() -> Bool {
            let from = j
            while j < s.count, Self.isDigit(s[j]) { j += 1 }
            return j > from
        }
        guard digits() else { return nil }
        if j < s.count && s[j] == "," {
            j += 1
            _ = digits()
        }
        guard j < s.count && s[j] == "}" else { return nil }
        return j + 1 - i
    }

    func validateRepeatCount(_ length: Int) throws(Refusal) {
        let parts = text(i + 1, i + length - 1).split(separator: ",", omittingEmptySubsequences: false)
        let low = Int(parts[0]) ?? Int.max
        let high = parts.count == 1 ? low : (parts[1].isEmpty ? -1 : (Int(parts[1]) ?? Int.max))
        if low > 1000 || high > 1000 || (high >= 0 && high < low) {
            throw refuse("invalid repeat count", i, i + length)
        }
    }

    /// `(`, `(?:`, `(?P<name>`, `(?flags)` or `(?flags:`; anything else after `(?` is Perl
    /// syntax Go does not support (`(?<name>` only from Go 1.22 on; go tool pprof here is older).
    mutating func group() throws(Refusal) {
        let start = i
        lastRepeatStart = nil
        guard peek(1) == "?" else {
            i += 1
            openGroup("(")
            return
        }
        var j = i + 2
        if j < s.count && s[j] == "P" {
            guard j + 1 < s.count && s[j + 1] == "<" else { throw refuse("invalid or unsupported Perl syntax", start, j + 1) }
            let nameStart = j + 2
            var k = nameStart
            while k < s.count, s[k] != ">" {
                let ch = s[k]
                guard ch == "_" || (ch.isASCII && (ch.properties.isAlphabetic || Self.isDigit(ch))) else {
                    throw refuse("invalid named capture", start, k + 1)
                }
                k += 1
            }
            guard k < s.count, k > nameStart else { throw refuse("invalid named capture", start, min(k + 1, s.count)) }
            i = k + 1
            openGroup("(?<" + text(nameStart, k) + ">")
            return
        }
        // Flags: [imsU] with at most one '-', not last; then ':' or ')'.
        var sawMinus = false, sawFlag = false, sawFlagAfterMinus = false
        while j < s.count {
            let ch = s[j]
            if ch == "i" || ch == "m" || ch == "s" || ch == "U" {
                sawFlag = true
                if sawMinus { sawFlagAfterMinus = true }
                j += 1
            } else if ch == "-" && !sawMinus {
                sawMinus = true
                j += 1
            } else if ch == ":" || ch == ")" {
                if sawMinus && !sawFlagAfterMinus { throw refuse("invalid or unsupported Perl syntax", start, j + 1) }
                let flags = text(start, j + 1)
                i = j + 1
                if ch == ":" {
                    openGroup(flags)
                } else if sawFlag {
                    pendingFlags += flags  // `(?)` sets nothing
                }
                return
            } else {
                throw refuse("invalid or unsupported Perl syntax", start, j + 1)
            }
        }
        throw refuse("invalid or unsupported Perl syntax", start, s.count)
    }

    mutating func openGroup(_ text: String) {
        emit("")
        groupStarts.append(out.utf8.count)
        out += text
        haveAtom = false
    }
}
