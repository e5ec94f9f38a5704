/// Shortens fully demangled Swift names for display, keeping them unambiguous enough to read:
///
/// - module qualifiers go: `Swift.Array<Swift.Int>` → `Array<Int>`, `t.Box.add(A) -> ()`
///   → `Box.add(A) -> ()` (generic parameters such as `A.Element` and `Self.Index` stay);
/// - `generic specialization <...> of f` and `function signature specialization <...> of f`
///   → `specialized f`;
/// - `partial apply forwarder for f` → `partial apply for f`;
/// - a closure's own signature goes, its number stays: `closure #1 (Swift.Int) -> Swift.Int in f`
///   → `closure #1 in f`;
/// - private discriminators go: `(Helper in _0123...ABCD)` → `Helper`.
public enum SwiftNameSimplifier {
    public static func simplify(_ name: String) -> String {
        var s = Array(name.utf8)
        s = removeSpecializations(s)
        s = replace(s, "partial apply forwarder for ", with: "partial apply for ")
        s = removeClosureSignatures(s)
        s = removePrivateDiscriminators(s)
        s = removeModuleQualifiers(s)
        return String(decoding: s, as: UTF8.self)
    }

    private static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private static func find(_ s: [UInt8], _ needle: [UInt8], from start: Int = 0) -> Int? {
        guard !needle.isEmpty, s.count >= needle.count, start <= s.count - needle.count else { return nil }
        var i = start
        while i <= s.count - needle.count {
            if s[i] == needle[0] && Array(s[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    private static func replace(_ s: [UInt8], _ old: String, with new: String) -> [UInt8] {
        let o = bytes(old), n = bytes(new)
        var out: [UInt8] = []
        var i = 0
        while let hit = find(s, o, from: i) {
            out += s[i..<hit]
            out += n
            i = hit + o.count
        }
        out += s[i...]
        return out
    }


    private static func removeSpecializations(_ input: [UInt8]) -> [UInt8] {
        var s = input
        let kinds = ["generic specialization <", "function signature specialization <",
                     "generic partial specialization <", "generic not re-abstracted specialization <"].map(bytes)
        let of = bytes(" of ")
        var changed = true
        var rounds = 0
        while changed && rounds < 16 {
            changed = false
            rounds += 1
            for kind in kinds {
                guard let start = find(s, kind), let close = DemangledBrackets.matching(s, start + kind.count - 1),
                      close + of.count <= s.count, Array(s[(close + 1)..<(close + 1 + of.count)]) == of else { continue }
                s.replaceSubrange(start..<(close + 1 + of.count), with: bytes("specialized "))
                changed = true
            }
        }
        return replace(s, "specialized specialized ", with: "specialized ")
    }

    private static func removeClosureSignatures(_ input: [UInt8]) -> [UInt8] {
        var s = input
        let marker = bytes("closure #")
        let inWord = bytes(" in ")
        var from = 0
        while let hit = find(s, marker, from: from) {
            var i = hit + marker.count
            while i < s.count && s[i] >= UInt8(ascii: "0") && s[i] <= UInt8(ascii: "9") { i += 1 }
            from = i
            guard i + 1 < s.count, s[i] == UInt8(ascii: " "), s[i + 1] == UInt8(ascii: "(") else { continue }
            // Scan the signature at bracket depth 0 up to " in ".
            var j = i + 1
            var found: Int?
            while j < s.count {
                if s[j] == UInt8(ascii: "(") || s[j] == UInt8(ascii: "[") || s[j] == UInt8(ascii: "<") {
                    guard let close = DemangledBrackets.matching(s, j) else { break }
                    j = close + 1
                    continue
                }
                if j + inWord.count <= s.count && Array(s[j..<(j + inWord.count)]) == inWord { found = j; break }
                j += 1
            }
            guard let end = found else { continue }
            s.removeSubrange(i..<end)
        }
        return s
    }

    private static func isHex(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }

    private static func isIdentifier(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b >= 0x80
    }

    /// `(Name in _<32 hex digits>)` → `Name`.
    private static func removePrivateDiscriminators(_ input: [UInt8]) -> [UInt8] {
        var s = input
        let marker = bytes(" in _")
        var from = 0
        while let hit = find(s, marker, from: from) {
            from = hit + 1
            let hexStart = hit + marker.count
            var k = hexStart
            while k < s.count && isHex(s[k]) { k += 1 }
            guard k - hexStart >= 16, k < s.count, s[k] == UInt8(ascii: ")") else { continue }
            var open = hit - 1
            while open >= 0 && isIdentifier(s[open]) { open -= 1 }
            guard open >= 0, open < hit - 1, s[open] == UInt8(ascii: "(") else { continue }
            let name = Array(s[(open + 1)..<hit])
            s.replaceSubrange(open...k, with: name)
            from = open
        }
        return s
    }

    /// Drops the first component of every dotted path (the module), unless it is a generic
    /// parameter (`A`, `B1`, `τ_0_0`) or a keyword type (`Self`, `Any`, `AnyObject`).
    private static func removeModuleQualifiers(_ s: [UInt8]) -> [UInt8] {
        let keep: Set<[UInt8]> = Set(["Self", "Any", "AnyObject", "Protocol", "Type"].map(bytes))
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            let b = s[i]
            let startsPath = isIdentifier(b) && !(b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                && (out.isEmpty || (!isIdentifier(out[out.count - 1]) && out[out.count - 1] != UInt8(ascii: ".")))
            guard startsPath else {
                out.append(b)
                i += 1
                continue
            }
            var j = i
            while j < s.count && isIdentifier(s[j]) { j += 1 }
            let word = Array(s[i..<j])
            let isGenericParameter = word.first.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } == true
                && word.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            let nonASCII = word.contains { $0 >= 0x80 }
            if j + 1 < s.count, s[j] == UInt8(ascii: "."), isIdentifier(s[j + 1]) || s[j + 1] == UInt8(ascii: "("),
               !isGenericParameter, !nonASCII, !keep.contains(word) {
                i = j + 1            // drop "Module.", keep the name that follows it
                while i < s.count && isIdentifier(s[i]) {
                    out.append(s[i])
                    i += 1
                }
            } else {
                out += word
                i = j
            }
        }
        return out
    }
}
