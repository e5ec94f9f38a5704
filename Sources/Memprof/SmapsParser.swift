extension ProcessMemory {
    /// One entry of `/proc/PID/smaps`: a range of addresses with one protection and one backing.
    public struct Mapping: Sendable, Equatable {
        /// First address of the mapping.
        public var start: UInt64
        /// Address just past the mapping.
        public var end: UInt64
        /// Protection and sharing, as smaps prints it: `r-xp`, `rw-p`, `---p`, `rw-s`, ...
        public var permissions: String
        /// Offset into the file (0 for anonymous memory).
        public var offset: UInt64
        /// Device of the file, `major:minor` in hex (`00:00` for anonymous memory).
        public var device: String
        /// Inode of the file (0 for anonymous memory).
        public var inode: UInt64
        /// The file's path, a name in brackets (`[heap]`, `[stack]`, `[vdso]`, `[anon:name]`),
        /// or `""` for anonymous memory. A trailing ` (deleted)` is removed (see `isDeleted`).
        public var path: String
        /// The mapped file was deleted or replaced after it was mapped.
        public var isDeleted: Bool
        /// smaps `Rss`.
        public var residentBytes: Int = 0
        /// smaps `Pss`.
        public var proportionalBytes: Int = 0
        /// smaps `Shared_Clean`.
        public var sharedCleanBytes: Int = 0
        /// smaps `Shared_Dirty`.
        public var sharedDirtyBytes: Int = 0
        /// smaps `Private_Clean`.
        public var privateCleanBytes: Int = 0
        /// smaps `Private_Dirty`.
        public var privateDirtyBytes: Int = 0
        /// smaps `Anonymous`: resident anonymous pages (also copied-on-write pages of files).
        public var anonymousBytes: Int = 0
        /// smaps `Swap`.
        public var swapBytes: Int = 0
        /// smaps `VmFlags` (two-letter codes such as `rd`, `wr`, `nr`, `gd`); empty on kernels
        /// that don't print them.
        public var flags: [String] = []
        /// What the mapping holds, as `Breakdown` classified it (`.other` before that).
        public var category: Category = .other
        /// Objects this mapping stands for in its group: heaps, stacks, malloc blocks.
        var objects = 1
        /// Smaps entries this stands for: 0 for the later parts of an entry the classifier
        /// split (malloc blocks merged with other memory).
        var entries = 1

        /// Size of the address range.
        public var virtualBytes: Int { Int(truncatingIfNeeded: end &- start) }
        /// The mapping can be read.
        public var isReadable: Bool { permissions.utf8.first == UInt8(ascii: "r") }
        /// The mapping can be written.
        public var isWritable: Bool { permissions.utf8.dropFirst(1).first == UInt8(ascii: "w") }
        /// The mapping can be executed.
        public var isExecutable: Bool { permissions.utf8.dropFirst(2).first == UInt8(ascii: "x") }
        /// The mapping is private (copy-on-write), not shared (`p` rather than `s`).
        public var isPrivate: Bool { permissions.utf8.dropFirst(3).first == UInt8(ascii: "p") }
        /// Anonymous memory: no path, or a name given with `PR_SET_VMA_ANON_NAME` (`[anon:...]`).
        public var isAnonymous: Bool { path.isEmpty || path.hasPrefix("[anon:") }

        /// This mapping's counters as a `Usage` of one mapping (of none for the later parts of
        /// a split one).
        public var usage: Usage {
            var usage = Usage()
            usage.virtualBytes = virtualBytes
            usage.residentBytes = residentBytes
            usage.proportionalBytes = proportionalBytes
            usage.privateDirtyBytes = privateDirtyBytes
            usage.swapBytes = swapBytes
            usage.mappings = entries
            return usage
        }
    }

    /// Parses the text of `/proc/PID/smaps` (or `/proc/PID/maps`, which gives mappings without
    /// counters). Lines that are neither a mapping header nor a `Key: value` field are skipped,
    /// as are fields before the first header, so a truncated or damaged file yields the
    /// mappings that can be read.
    public static func parseSmaps(_ text: String) -> [Mapping] {
        SmapsParser.parse(Array(text.utf8))
    }
}

/// Byte-level smaps parser: smaps has ~25 lines per mapping and a process can have thousands
/// of mappings, so it avoids splitting into `String`s.
enum SmapsParser {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    static func parse(_ bytes: [UInt8]) -> [ProcessMemory.Mapping] {
        var mappings: [ProcessMemory.Mapping] = []
        bytes.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let line = Bytes(rebasing: buffer[lineStart..<lineEnd])
                if let header = parseHeader(line) {
                    mappings.append(header)
                } else if !mappings.isEmpty {
                    applyField(line, to: &mappings[mappings.count - 1])
                }
                lineStart = lineEnd + 1
            }
        }
        return mappings
    }

    /// `start-end perms offset dev inode [path]`; the path is the rest of the line after the
    /// padding and may contain spaces. Needs at least `start-end perms`.
    static func parseHeader(_ line: Bytes) -> ProcessMemory.Mapping? {
        var cursor = 0
        guard let start = hexNumber(line, &cursor), next(line, &cursor) == UInt8(ascii: "-"),
              let end = hexNumber(line, &cursor), end >= start,
              next(line, &cursor) == UInt8(ascii: " ") else { return nil }
        let permissions = word(line, &cursor)
        guard permissions.count == 4 else { return nil }
        skipSpaces(line, &cursor)
        let offset = hexNumber(line, &cursor) ?? 0
        skipSpaces(line, &cursor)
        let device = word(line, &cursor)
        skipSpaces(line, &cursor)
        let inode = UInt64(decimalNumber(line, &cursor) ?? 0)
        skipSpaces(line, &cursor)
        var pathEnd = line.count
        if pathEnd > cursor && line[pathEnd - 1] == UInt8(ascii: "\r") { pathEnd -= 1 }
        var path = cursor < pathEnd ? String(decoding: Bytes(rebasing: line[cursor..<pathEnd]), as: UTF8.self) : ""
        let deletedSuffix = " (deleted)"
        let isDeleted = path.hasSuffix(deletedSuffix)
        if isDeleted { path.removeLast(deletedSuffix.count) }
        return ProcessMemory.Mapping(
            start: start, end: end, permissions: permissions, offset: offset, device: device,
            inode: inode, path: path, isDeleted: isDeleted)
    }

    /// `Key:   123 kB` or `VmFlags: rd wr mr`. Unknown keys and malformed values are ignored.
    static func applyField(_ line: Bytes, to mapping: inout ProcessMemory.Mapping) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return }
        let key = String(decoding: Bytes(rebasing: line[0..<colon]), as: UTF8.self)
        var cursor = colon + 1
        skipSpaces(line, &cursor)
        if key == "VmFlags" {
            var flags: [String] = []
            while cursor < line.count {
                let flag = word(line, &cursor)
                if !flag.isEmpty { flags.append(flag) }
                skipSpaces(line, &cursor)
            }
            mapping.flags = flags
            return
        }
        guard let number = decimalNumber(line, &cursor) else { return }
        skipSpaces(line, &cursor)
        let unit = word(line, &cursor)
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit == "kB" ? 1024 : 1)
        guard !overflow else { return }
        switch key {
        case "Rss": mapping.residentBytes = bytes
        case "Pss": mapping.proportionalBytes = bytes
        case "Shared_Clean": mapping.sharedCleanBytes = bytes
        case "Shared_Dirty": mapping.sharedDirtyBytes = bytes
        case "Private_Clean": mapping.privateCleanBytes = bytes
        case "Private_Dirty": mapping.privateDirtyBytes = bytes
        case "Anonymous": mapping.anonymousBytes = bytes
        case "Swap": mapping.swapBytes = bytes
        default: break
        }
    }

    private static func next(_ line: Bytes, _ cursor: inout Int) -> UInt8? {
        guard cursor < line.count else { return nil }
        defer { cursor += 1 }
        return line[cursor]
    }

    private static func skipSpaces(_ line: Bytes, _ cursor: inout Int) {
        while cursor < line.count && (line[cursor] == UInt8(ascii: " ") || line[cursor] == UInt8(ascii: "\t")) {
            cursor += 1
        }
    }

    /// Bytes up to the next space or tab.
    private static func word(_ line: Bytes, _ cursor: inout Int) -> String {
        let begin = cursor
        while cursor < line.count && line[cursor] != UInt8(ascii: " ") && line[cursor] != UInt8(ascii: "\t") {
            cursor += 1
        }
        return String(decoding: Bytes(rebasing: line[begin..<cursor]), as: UTF8.self)
    }

    private static func hexNumber(_ line: Bytes, _ cursor: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while cursor < line.count, digits < 16 {
            let byte = line[cursor]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return digits > 0 ? value : nil
            }
            value = value << 4 | UInt64(digit)
            digits += 1
            cursor += 1
        }
        // More than 16 hex digits cannot be an address.
        if cursor < line.count, isHexDigit(line[cursor]) { return nil }
        return digits > 0 ? value : nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func decimalNumber(_ line: Bytes, _ cursor: inout Int) -> Int? {
        var value = 0
        var digits = 0
        while cursor < line.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[cursor]) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(line[cursor] - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
            digits += 1
            cursor += 1
        }
        return digits > 0 ? value : nil
    }
}
