/// The contexts and phrases `SwiftCompactName` keeps in words: closures and local
/// functions (`closure #1 in`), local types (`f(_:) in Node #1 in g()`), and phrases such as
/// `outlined copy of T` or `dispatch thunk of f`.
extension SwiftCompactName {
    /// `closure #1 (sig) in X`, `implicit closure #2 in X`, `$defer #1 () -> () in X`,
    /// `helper #1 (Swift.Int) -> () in X` (a local function: its labels are kept).
    static func localEntity(_ s: Bytes, _ specialized: inout Bool) -> [UInt8]? {
        var head: [UInt8]
        var i: Int
        var named = false
        if hasPrefix(s, "implicit closure #") {
            head = bytes("implicit closure #"); i = s.startIndex + head.count
        } else if hasPrefix(s, "closure #") {
            head = bytes("closure #"); i = s.startIndex + head.count
        } else {
            // `$defer #N` or a local function `name #N`, the name a single word.
            guard let hash = firstRange(s, of: " #"), hash.lowerBound > s.startIndex,
                  !s[..<hash.lowerBound].contains(UInt8(ascii: " ")),
                  !s[..<hash.lowerBound].contains(UInt8(ascii: ".")) else { return nil }
            head = Array(s[..<hash.lowerBound]) + bytes(" #"); i = hash.upperBound
            named = !hasPrefix(s, "$defer") && !s[..<hash.lowerBound].contains(UInt8(ascii: "("))
        }
        let digits = i
        while i < s.endIndex && isDigit(s[i]) { i += 1 }
        guard i > digits else { return nil }
        let number = Array(s[digits..<i])
        guard let inWord = firstRangeAtDepth0(s[i...], of: " in ") else { return nil }
        let signature = trimmed(s[i..<inWord.lowerBound])
        if named {
            // Labels of a local function from its signature: `(x: Swift.Int) -> ()` → `(x:)`.
            var sig = signature
            if hasPrefix(sig, "<"), let close = matchOffset(sig, sig.startIndex) {
                sig = trimmed(sig[(sig.startIndex + close + 1)...])
            }
            if hasPrefix(sig, "("), let close = matchOffset(sig, sig.startIndex) {
                head.removeLast(2)
                head += labels(sig[(sig.startIndex + 1)..<(sig.startIndex + close)]) + bytes(" #")
            }
        }
        return head + number + bytes(" in ") + entity(s[inWord.upperBound...], &specialized)
    }

    /// Lower-case phrases before a function or type: `dispatch thunk of X`, `outlined copy of
    /// T`, `type metadata accessor for T`, `default argument 0 of X`, `thunk for @escaping ...`.
    static func phraseEntity(_ s: Bytes, _ specialized: inout Bool) -> [UInt8]? {
        var i = s.startIndex
        var wordStart = i
        while i < s.endIndex {
            let c = s[i]
            if c == UInt8(ascii: " ") {
                let word = s[wordStart..<i]
                if word.elementsEqual("of".utf8) || word.elementsEqual("for".utf8) || word.elementsEqual("to".utf8) {
                    guard wordStart > s.startIndex else { return nil }
                    let phrase = Array(s[s.startIndex..<(wordStart - 1)])
                    let rest = trimmed(s[(i + 1)...])
                    // A type or function follows; a tuple or function type (no name) does not.
                    guard let first = rest.first,
                          isIdentifierStart(first) || first == UInt8(ascii: "(") || first == UInt8(ascii: "<")
                            || first == UInt8(ascii: "[") else { return phrase }
                    let inner = entity(rest, &specialized)
                    return inner.isEmpty ? phrase : phrase + [UInt8(ascii: " ")] + word + [UInt8(ascii: " ")] + inner
                }
                wordStart = i + 1
            } else if !(isLower(c) || isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "#")
                        || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") && i > wordStart)) {
                return nil
            }
            i += 1
        }
        return Array(s)   // words only, as `outlined destroy` (what a tuple's phrase becomes)
    }

    /// After a member's parameter list and result type, the local type it belongs to
    /// (`-> R in Node #1 in g()` → `Node #1 in g()`): the first ` in ` at depth 0 followed by
    /// `Name #N in` (the result type may itself name a local type, with its own ` in `).
    static func localContext(_ rest: Bytes) -> Bytes? {
        var s = rest
        while let hit = firstRangeAtDepth0(s, of: " in ") {
            let after = s[hit.upperBound...]
            if let hash = firstRange(after, of: " #"), hash.lowerBound > after.startIndex,
               !after[..<hash.lowerBound].contains(UInt8(ascii: " ")) {
                var k = hash.upperBound
                while k < after.endIndex && isDigit(after[k]) { k += 1 }
                if k > hash.upperBound, hasPrefix(after[k...], " in ") { return after }
            }
            s = after
        }
        return nil
    }
}
