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
    static func entity(_ input: Bytes, _ specialized: inout Bool) -> [UInt8] {
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
