/// Bracket matching over the UTF-8 of a demangled name, shared by the name simplifier and
/// the type sugar.
enum DemangledBrackets {
    /// Index of the bracket closing the one at `open` (`(`, `[` or `<`), skipping nested
    /// brackets and the `>` of `->`; nil when it is not closed.
    static func matching(_ s: [UInt8], _ open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < s.count {
            switch s[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "<"): depth += 1
            case UInt8(ascii: ">") where i > 0 && s[i - 1] == UInt8(ascii: "-"): break
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"):
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }
}
