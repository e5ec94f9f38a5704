/// Byte-level helpers of `SwiftCompactName`: the names it reads are ASCII apart from
/// identifiers, so UTF-8 bytes index them directly.
extension SwiftCompactName {
    typealias Bytes = ArraySlice<UInt8>

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isIdentifier(_ b: UInt8) -> Bool {
        isLower(b) || isDigit(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "$") || b == UInt8(ascii: "`") || b >= 0x80
    }

    static func isIdentifierStart(_ b: UInt8) -> Bool { isIdentifier(b) && !isDigit(b) }

    /// Characters of Swift operator names as the demangler prints them (`==`, `..<`, `&+`).
    static func isOperator(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "!"),
             UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"),
             UInt8(ascii: "|"), UInt8(ascii: "^"), UInt8(ascii: "~"), UInt8(ascii: "?"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    static func trimmed(_ s: Bytes) -> Bytes {
        var t = s
        while t.first == UInt8(ascii: " ") { t = t.dropFirst() }
        while t.last == UInt8(ascii: " ") { t = t.dropLast() }
        return t
    }

    static func hasPrefix(_ s: Bytes, _ prefix: String) -> Bool { s.starts(with: prefix.utf8) }

    static func hasSuffix(_ s: Bytes, _ suffix: String) -> Bool {
        let u = Array(suffix.utf8)
        return s.count >= u.count && s.suffix(u.count).elementsEqual(u)
    }

    static func firstRange(_ s: Bytes, of needle: String) -> Range<Int>? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, s.count >= n.count else { return nil }
        var i = s.startIndex
        while i <= s.endIndex - n.count {
            if s[i] == n[0] && s[i..<(i + n.count)].elementsEqual(n) { return i..<(i + n.count) }
            i += 1
        }
        return nil
    }

    static func lastRange(_ s: Bytes, of n: [UInt8]) -> Range<Int>? {
        guard !n.isEmpty, s.count >= n.count else { return nil }
        var i = s.endIndex - n.count
        while i >= s.startIndex {
            if s[i..<(i + n.count)].elementsEqual(n) { return i..<(i + n.count) }
            i -= 1
        }
        return nil
    }

    /// The first `needle` outside brackets. `<` counts as a bracket except inside an operator
    /// name (after a `.`: `Swift.Int.< infix`), and the `>` of `->` closes nothing.
    static func firstRangeAtDepth0(_ s: Bytes, of needle: String) -> Range<Int>? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, s.count >= n.count else { return nil }
        var depth = 0
        var inOperator = false
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if depth == 0, i <= s.endIndex - n.count, c == n[0], s[i..<(i + n.count)].elementsEqual(n) {
                return i..<(i + n.count)
            }
            if inOperator && isOperator(c) {
                i += 1
                continue
            }
            inOperator = false
            switch c {
            case UInt8(ascii: "."):
                if i + 1 < s.endIndex, isOperator(s[i + 1]) { inOperator = true }
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > s.startIndex && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"): depth = max(0, depth - 1)
            default: break
            }
            i += 1
        }
        return nil
    }

    /// `0123…ABCD` (at least 16 hex digits) closing a `(Name in _…)` private discriminator.
    static func isPrivateDiscriminator(_ s: Bytes) -> Bool {
        s.count >= 16 && s.allSatisfy { isDigit($0) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F")) }
    }

    /// `_:at:bytes:`: a parameter list already reduced to its labels.
    static func isLabelList(_ s: Bytes) -> Bool {
        guard s.last == UInt8(ascii: ":") else { return false }
        var previous = UInt8(ascii: ":")
        for c in s {
            if c == UInt8(ascii: ":") {
                if previous == UInt8(ascii: ":") { return false }
            } else if !isIdentifier(c) {
                return false
            }
            previous = c
        }
        return true
    }

    /// The `>` closing the `<` at `open`, counting angle brackets only: the demangler's
    /// specialization lists may leave a `[` unclosed (`[Closure Propagated : ..., Argument
    /// Types : [T]>`). The `>` of `->` closes nothing.
    static func matchingAngle(_ s: Bytes, _ open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < s.endIndex {
            switch s[i] {
            case UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > s.startIndex && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ">"):
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// `_: inout [X], at: Swift.Int, Swift.Int` → `(_:at:_:)`; a list already in that form
    /// comes back as it is.
    static func labels(_ list: Bytes) -> [UInt8] {
        if isLabelList(list) { return [UInt8(ascii: "(")] + list + [UInt8(ascii: ")")] }
        var out: [UInt8] = [UInt8(ascii: "(")]
        for parameter in parameters(list) {
            let p = trimmed(parameter)
            var label: Bytes = [UInt8(ascii: "_")][...]
            if let colon = firstRangeAtDepth0(p, of: ": "), colon.lowerBound > p.startIndex {
                let word = p[..<colon.lowerBound]
                if word.allSatisfy(isIdentifier) { label = word }
            }
            out += label
            out.append(UInt8(ascii: ":"))
        }
        out.append(UInt8(ascii: ")"))
        return out
    }

    /// Top-level comma-separated parameters; none for an empty list.
    static func parameters(_ list: Bytes) -> [Bytes] {
        if list.allSatisfy({ $0 == UInt8(ascii: " ") }) { return [] }
        var result: [Bytes] = []
        var depth = 0
        var start = list.startIndex
        for i in list.indices {
            switch list[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > list.startIndex && list[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"): depth -= 1
            case UInt8(ascii: ",") where depth == 0:
                result.append(list[start..<i])
                start = i + 1
            default: break
            }
        }
        result.append(list[start...])
        return result
    }

    /// How far past `open` (a `(`, `[` or `<`) its closing bracket is, skipping nested
    /// brackets and the `>` of `->`; nil when it is not closed. (`DemangledBrackets.matching`
    /// on a slice, without copying it.)
    static func matchOffset(_ s: Bytes, _ open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < s.endIndex {
            switch s[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > s.startIndex && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"):
                depth -= 1
                if depth == 0 { return i - open }
            default: break
            }
            i += 1
        }
        return nil
    }
}
