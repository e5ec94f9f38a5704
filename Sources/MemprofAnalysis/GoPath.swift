/// Go's `path/filepath` lexical helpers for Unix paths, as pprof applies them to file names.
enum GoPath {
    /// The last element of `path`, trailing slashes removed; `.` for empty, `/` for root.
    static func base(_ path: String) -> String {
        if path.isEmpty { return "." }
        var b = Array(path.utf8)
        while b.count > 1 && b.last == UInt8(ascii: "/") { b.removeLast() }
        if b == [UInt8(ascii: "/")] { return "/" }
        if let i = b.lastIndex(of: UInt8(ascii: "/")) { b.removeSubrange(...i) }
        return String(decoding: b, as: UTF8.self)
    }

    /// The shortest lexically equivalent path: repeated slashes, `.` and `x/..` removed.
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !rooted {
                    out.append(part)
                }
            default: out.append(part)
            }
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
