/// The name a profile gives a Swift function, for every consumer that shows `Function.name`
/// as it is (go tool pprof, Pyroscope, Parca, Grafana): module-qualified, with argument labels
/// and no types, a specialization noted briefly. The full signature stays recoverable from
/// the mangled `system_name` (`Demangler.demangle`).
///
///     function signature specialization <Arg[3] = Dead> of static
///       demo.DemoWorkload.keepBuffer(_: inout [Swift.UnsafeMutableRawPointer?], at: Swift.Int, bytes: Swift.Int) -> ()
///     → demo.DemoWorkload.keepBuffer(_:at:bytes:) [specialized]
///
/// What goes and what stays:
/// - types go: parameter and result types, generic parameters and where-clauses, generic
///   arguments of the enclosing types, `(extension in M):`, the types of properties and
///   accessors, closure signatures, `async`/`throws`;
/// - specializations (`generic specialization <...> of`, `function signature specialization
///   <...> of`, ...) become one ` [specialized]` at the end; `merged`, `static` and an
///   async function's `(N) await resume partial function for` go (it is the same function);
/// - names stay: the module and type path, argument labels (`_` where there is none),
///   `closure #N in`, `$defer #N in`, `@objc` (C-convention thunks), local functions
///   (`helper(_:) #1 in`), accessors
///   (`count.getter`, `subscript(_:).modify`), `partial apply for`, `protocol witness for
///   P.m(_:) in conformance T`, `dispatch thunk of`, `outlined copy of T` and similar phrases;
///   thunks between function types are `reabstraction thunk`; private names lose their
///   discriminator (`(Helper in _0123…)` → `Helper`); operators keep their spelling (`==(_:_:)`).
///
/// Two functions whose full names differ only in the types of their parameters (overloads)
/// or in what they were specialized for get the same compact name; their `system_name`s
/// differ, so the profile keeps them apart, while reports by function name (pprof's and
/// ours alike) show them as one entry. The function is idempotent: a compact name comes back
/// unchanged, which is how a reader tells a compact profile from one with full names.
public enum SwiftCompactName {
    /// The compact form of a demangled Swift name. Text that is not a demangled Swift name
    /// comes back unchanged when there is nothing to shorten.
    public static func compact(_ demangled: String) -> String {
        // Our pseudo-frames (`[memprof: symbol tables]`) and addresses are not Swift names.
        if demangled.hasPrefix("[") || demangled.hasPrefix("0x") { return demangled }
        var s = Array(demangled.utf8)[...]
        var specialized = false
        if let cut = lastRange(s, of: specializedMark) , cut.upperBound == s.endIndex {
            specialized = true
            s = s[..<cut.lowerBound]
        }
        var out = entity(s, &specialized)
        if out.isEmpty { return demangled }
        if specialized { out += specializedMark }
        return String(decoding: out, as: UTF8.self)
    }

    private static let specializedMark = Array(" [specialized]".utf8)

    /// A whole name: the phrases that wrap a function, then the function itself.
    private static func entity(_ input: Bytes, _ specialized: inout Bool) -> [UInt8] {
        var s = trimmed(input)
        if let suffix = firstRangeAtDepth0(s, of: " with unmangled suffix \"") { s = s[..<suffix.lowerBound] }
        // Leading words that change nothing a reader needs.
        var changed = true
        while changed {
            changed = false
            for word in ["merged ", "static ", "dynamic "] where hasPrefix(s, word) {
                s = s.dropFirst(word.utf8.count)
                changed = true
            }
            if let rest = afterSpecialization(s) {
                s = rest
                specialized = true
                changed = true
            }
            if let rest = afterResumePartial(s) {
                s = rest
                changed = true
            }
        }
        // A C-convention thunk (`@objc closure #1 in f`, also on Linux) keeps its mark: it is
        // a frame of its own, called by C code, that calls the closure.
        for lead in ["@objc ", "@nonobjc "] where hasPrefix(s, lead) {
            return bytes(lead) + entity(s.dropFirst(lead.utf8.count), &specialized)
        }
        for lead in ["partial apply forwarder for ", "partial apply for "] where hasPrefix(s, lead) {
            return bytes("partial apply for ") + entity(s.dropFirst(lead.utf8.count), &specialized)
        }
        if hasPrefix(s, "reabstraction thunk") { return bytes("reabstraction thunk") }
        if hasPrefix(s, "protocol witness for ") {
            let target = s.dropFirst(21)
            guard let conformance = firstRangeAtDepth0(target, of: " in conformance ") else {
                return bytes("protocol witness for ") + entity(target, &specialized)
            }
            var type = target[conformance.upperBound...]
            if let colon = firstRangeAtDepth0(type, of: " : ") { type = type[..<colon.lowerBound] }
            let witness = bytes("protocol witness for ") + entity(target[..<conformance.lowerBound], &specialized)
            let conformer = typeName(type)
            return conformer.isEmpty ? witness : witness + bytes(" in conformance ") + conformer
        }
        if let local = localEntity(s, &specialized) { return local }
        if let phrase = phraseEntity(s, &specialized) { return phrase }
        return function(s)
    }

    /// `generic specialization <...> of X` and its kin (any words ending in
    /// `specialization <`, or `inlined generic function <`): X.
    private static func afterSpecialization(_ s: Bytes) -> Bytes? {
        guard let open = s.firstIndex(of: UInt8(ascii: "<")), open > s.startIndex else { return nil }
        let words = s[..<open]
        guard words.allSatisfy({ isLower($0) || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") }),
              firstRange(words, of: " for ") == nil, firstRange(words, of: " of ") == nil,
              hasSuffix(words, "specialization ") || hasSuffix(words, "inlined generic function "),
              let close = matchingAngle(s, open) else { return nil }
        let rest = s[(close + 1)...]
        return hasPrefix(rest, " of ") ? rest.dropFirst(4) : nil
    }

    /// `(N) await resume partial function for X`, `(N) suspend resume partial function for X`: X.
    private static func afterResumePartial(_ s: Bytes) -> Bytes? {
        guard hasPrefix(s, "("), let marker = firstRange(s, of: " resume partial function for "),
              marker.lowerBound - s.startIndex < 24 else { return nil }
        return s[marker.upperBound...]
    }

    /// `closure #1 (sig) in X`, `implicit closure #2 in X`, `$defer #1 () -> () in X`,
    /// `helper #1 (Swift.Int) -> () in X` (a local function: its labels are kept).
    private static func localEntity(_ s: Bytes, _ specialized: inout Bool) -> [UInt8]? {
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
    private static func phraseEntity(_ s: Bytes, _ specialized: inout Bool) -> [UInt8]? {
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

    /// A type in a phrase or a conformance: its path without generic arguments; a sugared
    /// type (`[A]`, `(A, B)`) as written unless it holds a function type.
    private static func typeName(_ s: Bytes) -> [UInt8] {
        let t = trimmed(s)
        if t.first == UInt8(ascii: "("), firstRange(t, of: "->") == nil, firstRange(t, of: ": ") == nil { return Array(t) }
        return path(t).path
    }

    /// A function: its path, then its argument labels; an accessor's type gives a
    /// subscript its labels.
    private static func function(_ s: Bytes) -> [UInt8] {
        let (p, end) = path(s)
        if p.isEmpty { return [] }   // a tuple or function type: no name
        var out = p
        var i = end
        guard i < s.endIndex else { return out }
        if s[i] == UInt8(ascii: "("), let close = matchOffset(s, i) {
            out += labels(s[(i + 1)..<(i + close)])
            // A member of a local type: `f(A) -> R in Node #1 in g()`.
            if let context = localContext(s[(i + close + 1)...]) {
                var specialized = false
                out += bytes(" in ") + entity(context, &specialized)
            }
            return out
        }
        if hasPrefix(s[i...], " : "), let sub = lastRange(out[...], of: Array(".subscript".utf8)) {
            // `X.subscript.getter : <A>(_: A, default: B) -> B` → `X.subscript(_:default:).getter`
            i += 3
            if i < s.endIndex, s[i] == UInt8(ascii: "<"), let close = matchOffset(s, i) {
                i += close + 1
            }
            if i < s.endIndex, s[i] == UInt8(ascii: "("), let close = matchOffset(s, i) {
                out.insert(contentsOf: labels(s[(i + 1)..<(i + close)]), at: sub.upperBound)
            }
        }
        return out
    }

    /// After a member's parameter list and result type, the local type it belongs to
    /// (`-> R in Node #1 in g()` → `Node #1 in g()`): the first ` in ` at depth 0 followed by
    /// `Name #N in` (the result type may itself name a local type, with its own ` in `).
    private static func localContext(_ rest: Bytes) -> Bytes? {
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

    /// The dotted path at the start of `s` with generic arguments, extension contexts and
    /// private discriminators removed; `end` is where it stopped (a `(` that opens the
    /// parameter list, a ` : ` type annotation, or other text).
    private static func path(_ s: Bytes) -> (path: [UInt8], end: Int) {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == UInt8(ascii: "(") {
                guard let close = matchOffset(s, i) else { break }
                let inside = s[(i + 1)..<(i + close)]
                if hasPrefix(inside, "extension in ") {
                    i += close + 1
                    if i < s.endIndex && s[i] == UInt8(ascii: ":") { i += 1 }
                    continue
                }
                if hasPrefix(inside, "in _"), isPrivateDiscriminator(inside.dropFirst(4)) {
                    // `T.(in _0123…).init`: a private declaration with no name of its own.
                    i += close + 1
                    if i < s.endIndex, s[i] == UInt8(ascii: "."), out.last == UInt8(ascii: ".") { i += 1 }
                    continue
                }
                if let disc = firstRange(inside, of: " in _"), isPrivateDiscriminator(inside[disc.upperBound...]) {
                    out += inside[..<disc.lowerBound]
                    i += close + 1
                    continue
                }
                if hasSuffix(out[...], ".subscript"), isLabelList(inside) {
                    out += s[i...(i + close)]   // already compact: `subscript(_:)`
                    i += close + 1
                    continue
                }
                break
            }
            if c == UInt8(ascii: "["), out.isEmpty, let close = matchOffset(s, i) {
                // A type written `[A]` or `[A : B]` (`in conformance [A : B].Values`): its name.
                let element = s[(i + 1)..<(i + close)]
                out += bytes(firstRangeAtDepth0(element, of: " : ") == nil ? "Swift.Array" : "Swift.Dictionary")
                i += close + 1
                continue
            }
            if c == UInt8(ascii: "<") {
                guard let close = matchOffset(s, i) else { break }
                i += close + 1
                continue
            }
            if c == UInt8(ascii: "."), i + 1 < s.endIndex, isOperator(s[i + 1]) {
                // An operator: `Swift.Int.< infix`, `Swift.Comparable.... infix`.
                out.append(c)
                i += 1
                while i < s.endIndex && isOperator(s[i]) { out.append(s[i]); i += 1 }
                for fixity in [" infix", " prefix", " postfix"] where hasPrefix(s[i...], fixity) {
                    i += fixity.utf8.count
                }
                continue
            }
            if c == UInt8(ascii: " ") {
                if out.isEmpty { i += 1; continue }   // after `< where A: P> `
                break
            }
            out.append(c)
            i += 1
        }
        return (out, i)
    }
}
