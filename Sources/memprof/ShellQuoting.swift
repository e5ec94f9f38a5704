/// A command line as a shell would take it back: words that need it are quoted, so that
/// `python3 -c 'import sys; print(1)'` is not shown as `python3 -c import sys; print(1)`.
enum ShellQuoting {
    /// The words joined by spaces, each quoted as `word(_:)` quotes it.
    static func line(_ words: [String]) -> String {
        words.map(word).joined(separator: " ")
    }

    /// A word as is when only safe characters are in it; in single quotes otherwise; in
    /// bash's `$'...'` with escapes when it holds control characters (a newline stays on the
    /// line).
    static func word(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { c in
            c.properties.isAlphabetic || ("0"..."9").contains(c) || "@%+=:,./_-".unicodeScalars.contains(c)
        }
        if !word.isEmpty && safe { return word }
        if !word.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        }
        var out = "$'"
        for c in word.unicodeScalars {
            switch c {
            case "\n": out += #"\n"#
            case "\t": out += #"\t"#
            case "\r": out += #"\r"#
            case "\\": out += #"\\"#
            case "'": out += #"\'"#
            case _ where c.value < 0x20 || c.value == 0x7F:
                let hex = String(c.value, radix: 16)
                out += #"\x"# + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "'"
    }
}
