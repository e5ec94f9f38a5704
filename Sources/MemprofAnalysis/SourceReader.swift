#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds and reads the source files `list` annotates, with pprof's rules: a profile's file
/// name is first trimmed (`-trim_path`, or a guess from the source path), then an absolute
/// name is opened as is and a relative one is looked for in each source directory and its
/// parents. Files are read once; lines are numbered from 1.
struct SourceReader {
    /// `:`-separated directories to search.
    let searchPath: String
    /// `:`-separated prefixes to trim.
    let trimPath: String
    private var files: [String: [String]] = [:]
    private var errors: [String: String] = [:]

    init(searchPath: String, trimPath: String) {
        self.searchPath = searchPath
        self.trimPath = trimPath
    }

    /// Line `number` of `path`, or nil past the end of the file or when it cannot be read.
    mutating func line(_ path: String, _ number: Int64) -> String? {
        let lines = load(path)
        guard number > 0 && number < Int64(lines.count) else { return nil }
        return lines[Int(number)]
    }

    /// Why `path` could not be opened (pprof's wording), or nil.
    func error(_ path: String) -> String? { errors[path] }

    private mutating func load(_ path: String) -> [String] {
        if let lines = files[path] { return lines }
        var lines = [""]
        switch Self.openSource(path, searchPath: searchPath, trim: trimPath) {
        case let .success(fd):
            lines += Self.scanLines(Self.readAll(fd))
            close(fd)
        case let .failure(message):
            errors[path] = message.text
        }
        files[path] = lines
        return lines
    }

    struct OpenError: Error { var text: String }

    /// pprof's `openSourceFile`: the open descriptor, or the error it reports.
    static func openSource(_ path: String, searchPath: String, trim: String) -> Result<Int32, OpenError> {
        let path = trimmed(path, trimPath: trim, searchPath: searchPath)
        if path.hasPrefix("/") {
            let fd = open(path, O_RDONLY)
            if fd >= 0 { return .success(fd) }
            return .failure(OpenError(text: "open \(path): \(goErrnoText(errno))"))
        }
        for start in GoPath.splitList(searchPath) {
            var dir = start
            while true {
                let fd = open(GoPath.join(dir, path), O_RDONLY)
                if fd >= 0 { return .success(fd) }
                let parent = GoPath.dir(dir)
                if parent == dir { break }
                dir = parent
            }
        }
        return .failure(OpenError(text: "could not find file \(path) on path \(searchPath)"))
    }

    /// pprof's `trimPath`: without trim prefixes, everything up to and including the base
    /// name of a search directory (`/build/myproj/src/a.c` with `~/myproj` gives `src/a.c`);
    /// else the first matching trim prefix, then `/proc/self/cwd/` (and `/proc/self/cwd/./`).
    static func trimmed(_ path: String, trimPath: String, searchPath: String) -> String {
        if trimPath.isEmpty {
            for dir in GoPath.splitList(searchPath) {
                let want = "/" + GoPath.base(dir) + "/"
                if let r = path.utf8.firstRange(of: want.utf8) {
                    return String(decoding: path.utf8[r.upperBound...], as: UTF8.self)
                }
            }
        }
        for prefix in GoPath.splitList(trimPath) + ["/proc/self/cwd/./", "/proc/self/cwd/"] {
            let p = prefix.hasSuffix("/") ? prefix : prefix + "/"
            if path.utf8.starts(with: p.utf8) {
                return String(decoding: path.utf8.dropFirst(p.utf8.count), as: UTF8.self)
            }
        }
        return path
    }

    /// The current directory as Go's `os.Getwd` gives it: `$PWD` when it names the same
    /// directory, else the kernel's answer.
    static func workingDirectory() -> String {
        var here = stat(), there = stat()
        if let pwd = getenv("PWD").map({ String(cString: $0) }), pwd.hasPrefix("/"),
           stat(".", &here) == 0, stat(pwd, &there) == 0, here.st_dev == there.st_dev, here.st_ino == there.st_ino {
            return pwd
        }
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return data }   // A read error (a directory) ends the file, as in pprof.
            data += chunk.prefix(n)
        }
    }

    /// Go's `bufio.Scanner` with `ScanLines`: lines split at `\n`, a trailing `\r` dropped,
    /// the last line kept without a newline; a line of 64 KiB or more stops the scan.
    static func scanLines(_ data: [UInt8]) -> [String] {
        var lines: [String] = []
        var start = 0
        while start < data.count {
            let newline = data[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? data.count
            if end - start >= 65536 { break }
            var line = data[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            start = end + 1
        }
        return lines
    }

    /// Go's text for an errno (`strerror` with a lower-case first letter).
    static func goErrnoText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}

extension GoPath {
    /// `filepath.SplitList`: `:`-separated elements; empty input gives none.
    static func splitList(_ list: String) -> [String] {
        list.isEmpty ? [] : list.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }

    /// `filepath.Join` of two elements: joined with `/` and cleaned; empty parts skipped.
    static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b.isEmpty ? "" : clean(b) }
        return clean(b.isEmpty ? a : a + "/" + b)
    }

    /// `filepath.Dir`: everything before the last `/`, cleaned.
    static func dir(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return clean(String(decoding: bytes[...slash], as: UTF8.self))
    }
}
