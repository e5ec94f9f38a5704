#if canImport(Glibc)
import Glibc
#endif

/// One line of `/proc/PID/maps`.
public struct MemoryMapping: Equatable, Sendable {
    public var start: UInt64
    public var limit: UInt64
    /// `rwxp`-style permissions.
    public var permissions: String
    public var fileOffset: UInt64
    public var inode: UInt64
    /// File path, `[vdso]`/`[heap]`-style pseudo name, or empty for anonymous memory.
    public var path: String

    public init(start: UInt64, limit: UInt64, permissions: String, fileOffset: UInt64, inode: UInt64, path: String) {
        self.start = start
        self.limit = limit
        self.permissions = permissions
        self.fileOffset = fileOffset
        self.inode = inode
        self.path = path
    }

    public var isExecutable: Bool { permissions.utf8.dropFirst(2).first == UInt8(ascii: "x") }
}

/// Reads `/proc/PID/maps` and groups mappings into loaded modules.
public enum ProcMaps {
    static let deletedSuffix = " (deleted)"

    /// Parses the text of a maps file. Malformed lines are skipped.
    public static func parse(_ text: String) -> [MemoryMapping] {
        var result: [MemoryMapping] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let m = parseLine(Substring(line)) { result.append(m) }
        }
        return result
    }

    static func parseLine(_ line: Substring) -> MemoryMapping? {
        var rest = line[...]
        func field() -> Substring? {
            while rest.first == " " { rest = rest.dropFirst() }
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            let f = rest[rest.startIndex..<end]
            rest = rest[end...]
            return f
        }
        guard let range = field(), let perms = field(), let offset = field(), field() != nil,
              let inode = field() else { return nil }
        let bounds = range.split(separator: "-")
        guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let limit = UInt64(bounds[1], radix: 16),
              let off = UInt64(offset, radix: 16), let ino = UInt64(inode) else { return nil }
        while rest.first == " " { rest = rest.dropFirst() }
        return MemoryMapping(start: start, limit: limit, permissions: String(perms), fileOffset: off,
                             inode: ino, path: String(rest))
    }

    /// The modules of process `pid` (nil: this process), main executable first.
    /// Anonymous mappings and pseudo files other than `[vdso]` are left out.
    public static func loadedModules(pid: Int32? = nil) throws -> [LoadedModule] {
        let procDir = pid.map { "/proc/\($0)" } ?? "/proc/self"
        let text = String(decoding: try readWholeFile(procDir + "/maps"), as: UTF8.self)
        let isSelf = pid == nil || pid == getpid()
        var modules = modules(from: parse(text), procDir: procDir, isSelf: isSelf)
        if let exe = readLink(procDir + "/exe"),
           let i = modules.firstIndex(where: { $0.path == exe || $0.path + deletedSuffix == exe }), i != 0 {
            modules.insert(modules.remove(at: i), at: 0)
        }
        return modules
    }

    /// Groups parsed mappings by file into modules, reading each file's ELF headers for
    /// the load bias and build ID.
    static func modules(from mappings: [MemoryMapping], procDir: String, isSelf: Bool) -> [LoadedModule] {
        var order: [String] = []
        var groups: [String: [MemoryMapping]] = [:]
        for m in mappings {
            let isFile = m.path.hasPrefix("/") && m.inode != 0
            guard isFile || (m.path == "[vdso]" && isSelf) else { continue }
            let key = m.path + "#\(m.inode)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(m)
        }
        var result: [LoadedModule] = []
        for key in order {
            guard let group = groups[key], let module = makeModule(group, procDir: procDir, isSelf: isSelf) else { continue }
            result.append(module)
        }
        return result
    }

    private static func makeModule(_ group: [MemoryMapping], procDir: String, isSelf: Bool) -> LoadedModule? {
        let exec = group.filter { $0.isExecutable }
        guard let first = exec.first else { return nil }
        let ranges = exec.map { ExecutableRange(start: $0.start, limit: $0.limit, fileOffset: $0.fileOffset) }
        let base = group.map(\.start).min() ?? first.start
        var path = first.path
        let isVDSO = path == "[vdso]"
        let isDeleted = path.hasSuffix(deletedSuffix)
        if isDeleted { path = String(path.dropLast(deletedSuffix.count)) }
        var openPath = path
        if isVDSO {
            openPath = ""
        } else if isDeleted {
            openPath = procDir + "/map_files/" + String(first.start, radix: 16) + "-" + String(first.limit, radix: 16)
        } else if !isSelf, access(procDir + "/root" + path, R_OK) == 0 {
            openPath = procDir + "/root" + path
        }
        var module = LoadedModule(path: path, start: first.start, limit: first.limit, fileOffset: first.fileOffset,
                                  baseAddress: base, loadBias: base &- (group.first { $0.fileOffset == 0 } != nil ? 0 : first.fileOffset),
                                  executableRanges: ranges, isDeleted: isDeleted, isVDSO: isVDSO, openPath: openPath)
        let elf: ELFFile?
        if isVDSO {
            let limit = group.map(\.limit).max() ?? first.limit
            elf = try? ELFFile(file: vdsoImage(start: base, limit: limit))
        } else {
            elf = try? ELFFile(path: openPath)
        }
        if let elf {
            if let bias = elf.loadBias(mappingStart: first.start, fileOffset: first.fileOffset) { module.loadBias = bias }
            module.buildID = elf.buildID?.hexString ?? ""
        }
        return module
    }

    /// The vDSO of this process as an in-memory ELF image.
    static func vdsoImage(start: UInt64, limit: UInt64) -> MappedFile {
        let memory = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(start)), count: Int(limit - start))
        return MappedFile(name: "[vdso]", borrowing: memory)
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension ProcMaps {
    /// Modules described by lines in `/proc/PID/maps` format, for a process that may be
    /// gone (the files are opened by path). The vDSO is left out.
    public static func loadedModules(fromMaps text: String) -> [LoadedModule] {
        modules(from: parse(text), procDir: "/proc/self", isSelf: false)
    }
}
