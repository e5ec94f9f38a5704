/// Rewrites `Swift.Array<T>`, `Swift.Dictionary<K, V>`, `Swift.Optional<T>` and
/// `Swift.ImplicitlyUnwrappedOptional<T>` in a demangled name as `[T]`, `[K : V]`, `T?` and
/// `T!`, the way `swift-demangle` prints types by default.
///
/// The runtime's `swift_demangle` only offers the unsugared form (its flags must be 0), so
/// the sugar is applied to its text. Optionals of types that are not "simple" (function
/// types, compositions) get parentheses: `(() -> ())?`.
enum SwiftTypeSugar {
    private static let kinds: [(prefix: [UInt8], kind: Int)] = [
        (Array("Swift.Array<".utf8), 0), (Array("Swift.Dictionary<".utf8), 1),
        (Array("Swift.Optional<".utf8), 2), (Array("Swift.ImplicitlyUnwrappedOptional<".utf8), 3),
    ]

    static func apply(_ name: String) -> String {
        guard name.contains("Swift.") else { return name }
        return String(decoding: sugar(Array(name.utf8)), as: UTF8.self)
    }

    private static func isIdentifier(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b >= 0x80
    }

    private static func sugar(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        outer: while i < s.count {
            if s[i] == UInt8(ascii: "S"), i == 0 || (!isIdentifier(s[i - 1]) && s[i - 1] != UInt8(ascii: ".")) {
                for (prefix, kind) in kinds where matches(s, i, prefix) {
                    let open = i + prefix.count - 1
                    guard let close = DemangledBrackets.matching(s, open) else { break }
                    let inner = sugar(Array(s[(open + 1)..<close]))
                    // `Swift.Array<A where A: P>` is a constrained extension context, not a type.
                    if containsWhere(inner) { break }
                    switch kind {
                    case 0:
                        out += [UInt8(ascii: "[")] + inner + [UInt8(ascii: "]")]
                    case 1:
                        guard let comma = topLevelComma(inner) else { break }
                        out += [UInt8(ascii: "[")] + inner[..<comma] + Array(" : ".utf8)
                            + inner[(comma + 2)...] + [UInt8(ascii: "]")]
                    default:
                        let mark = UInt8(ascii: kind == 2 ? "?" : "!")
                        out += isSimple(inner) ? inner + [mark] : [UInt8(ascii: "(")] + inner + [UInt8(ascii: ")"), mark]
                    }
                    if kind != 1 || topLevelComma(inner) != nil {
                        i = close + 1
                        continue outer
                    }
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    private static func matches(_ s: [UInt8], _ at: Int, _ prefix: [UInt8]) -> Bool {
        guard at + prefix.count <= s.count else { return false }
        for k in 0..<prefix.count where s[at + k] != prefix[k] { return false }
        return true
    }


    /// Position of the first `, ` outside brackets.
    private static func topLevelComma(_ s: [UInt8]) -> Int? {
        var depth = 0
        for i in s.indices {
            switch s[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > 0 && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"): depth -= 1
            case UInt8(ascii: ",") where depth == 0 && i + 1 < s.count && s[i + 1] == UInt8(ascii: " "): return i
            default: break
            }
        }
        return nil
    }

    /// Whether ` where ` occurs outside nested brackets.
    private static func containsWhere(_ s: [UInt8]) -> Bool {
        let word = Array(" where ".utf8)
        var depth = 0
        for i in s.indices {
            switch s[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > 0 && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"): depth -= 1
            case UInt8(ascii: " ") where depth == 0 && matches(s, i, word): return true
            default: break
            }
        }
        return false
    }

    /// Function types, protocol compositions and attributed types need parentheses before `?`.
    private static func isSimple(_ s: [UInt8]) -> Bool {
        for prefix in ["@", "any ", "some ", "each ", "repeat "] where matches(s, 0, Array(prefix.utf8)) {
            return false
        }
        var depth = 0
        for i in s.indices {
            switch s[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > 0 && s[i - 1] == UInt8(ascii: "-"):
                if depth == 0 { return false }
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"): depth -= 1
            case UInt8(ascii: "&") where depth == 0: return false
            default: break
            }
        }
        return true
    }
}
