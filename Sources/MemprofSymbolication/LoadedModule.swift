/// An address range of a module mapped executable, and the file offset at its start.
public struct ExecutableRange: Equatable, Hashable, Sendable {
    public var start: UInt64
    public var limit: UInt64
    public var fileOffset: UInt64

    public init(start: UInt64, limit: UInt64, fileOffset: UInt64) {
        self.start = start
        self.limit = limit
        self.fileOffset = fileOffset
    }
}

/// An executable or shared library loaded in a process, as found in `/proc/PID/maps`.
///
/// `start`, `limit` and `fileOffset` describe the first executable mapping, which is what
/// pprof's `Mapping` records (as Go's runtime does). `loadBias` converts runtime addresses
/// to the ELF file's virtual addresses: `fileAddress = address - loadBias`.
public struct LoadedModule: Equatable, Hashable, Sendable {
    /// Path as the kernel reports it, without the ` (deleted)` suffix; `[vdso]` for the vDSO.
    public var path: String
    /// Start of the first executable mapping.
    public var start: UInt64
    /// End (exclusive) of the first executable mapping.
    public var limit: UInt64
    /// File offset of `start`.
    public var fileOffset: UInt64
    /// GNU build ID as lowercase hex, or empty when the file has none or cannot be read.
    public var buildID: String
    /// Lowest address of any mapping of this file (usually where the ELF header is).
    public var baseAddress: UInt64
    /// Runtime address minus ELF virtual address.
    public var loadBias: UInt64
    /// Every executable mapping of the file, in address order.
    public var executableRanges: [ExecutableRange]
    /// The file was deleted (or replaced) after it was mapped.
    public var isDeleted: Bool
    /// This is the kernel's vDSO, read from memory rather than from a file.
    public var isVDSO: Bool
    /// The path opened to read the file (`/proc/PID/map_files/...` for deleted files,
    /// `/proc/PID/root/...` for other processes); empty for the vDSO.
    public var openPath: String

    public init(
        path: String, start: UInt64, limit: UInt64, fileOffset: UInt64, buildID: String = "",
        baseAddress: UInt64? = nil, loadBias: UInt64? = nil, executableRanges: [ExecutableRange]? = nil,
        isDeleted: Bool = false, isVDSO: Bool = false, openPath: String? = nil
    ) {
        self.path = path
        self.start = start
        self.limit = limit
        self.fileOffset = fileOffset
        self.buildID = buildID
        self.baseAddress = baseAddress ?? start
        self.loadBias = loadBias ?? (start &- fileOffset)
        self.executableRanges = executableRanges ?? [ExecutableRange(start: start, limit: limit, fileOffset: fileOffset)]
        self.isDeleted = isDeleted
        self.isVDSO = isVDSO
        self.openPath = openPath ?? path
    }

    /// Whether `address` falls in one of the module's executable mappings.
    public func contains(_ address: UInt64) -> Bool {
        executableRanges.contains { address >= $0.start && address < $0.limit }
    }

    /// The ELF virtual address of a runtime address in this module.
    public func fileAddress(of address: UInt64) -> UInt64 {
        address &- loadBias
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, as pprof and `file(1)` print build IDs.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
