import Foundation

/// `memprof WORD ...` where WORD names neither a subcommand nor a profile: an error naming it
/// and the nearest command, instead of the shell's "cannot open WORD".
enum UnknownCommand {
    /// The message for `arguments` (without the program name), or nil when they are fine:
    /// the first word is an option, a subcommand, a URL or an existing file, or looks like a
    /// file name (has a `/` or a `.`, so "no such file" is the better error).
    static func message(for arguments: [String], commands: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-"), !commands.contains(word) else { return nil }
        if word.contains("://") || FileManager.default.fileExists(atPath: word) { return nil }
        if word.contains("/") || word.contains(".") { return nil }
        var text = "unknown command '\(word)', and no file of that name"
        if let near = nearest(word, in: commands) { text += "; did you mean '\(near)'?" }
        return text + " (memprof --help lists the commands)"
    }

    /// The command closest to `word` in edit distance, if close enough to be a typo: at most
    /// 2 edits and fewer than half the word's letters, or a command `word` starts with.
    static func nearest(_ word: String, in commands: [String]) -> String? {
        let scored = commands.map { (name: $0, distance: editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        if best.distance <= 2 && best.distance * 2 < max(word.count, 2) { return best.name }
        return commands.first { word.hasPrefix($0) || $0.hasPrefix(word) }
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
