#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a file mapped read-only with `mmap`, or of memory the process already holds
/// (the vDSO). The mapping lives as long as this object.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int

    /// Maps the whole file at `path` read-only (`MAP_PRIVATE`).
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SymbolicationError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SymbolicationError.cannotOpen(path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SymbolicationError.cannotOpen(path: path, errno: EINVAL)
        }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            mappedLength = 0
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw SymbolicationError.cannotOpen(path: path, errno: errno)
        }
        mapping = address
        mappedLength = size
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Wraps memory that stays valid for the life of the process (e.g. the vDSO image).
    init(name: String, borrowing memory: UnsafeRawBufferPointer) {
        path = name
        bytes = memory
        mapping = nil
        mappedLength = 0
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }

    /// Gives back the pages read so far: they leave this process's RSS (the kernel's page
    /// cache keeps them, so reading them again costs a minor fault). No effect on borrowed
    /// memory.
    func dropResidentPages() {
        if let mapping { madvise(mapping, mappedLength, MADV_DONTNEED) }
    }
}

/// Bytes owned by a reader, e.g. a decompressed debug section, in an anonymous mapping of
/// their own rather than malloc's heap: unmapped at once when dropped (all of it leaves RSS),
/// and glibc never sees a large block come and go (freeing an mmapped block would raise its
/// mmap and trim thresholds for the whole life of the host program).
final class OwnedBytes {
    let bytes: UnsafeRawBufferPointer
    private let storage: UnsafeMutableRawPointer
    private let length: Int

    init(count: Int) throws {
        length = max(count, 1)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw SymbolicationError.malformed("cannot map \(count) bytes for a decompressed section")
        }
        storage = address
        bytes = UnsafeRawBufferPointer(start: storage, count: count)
    }

    var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage, count: bytes.count)
    }

    deinit { munmap(storage, length) }
}

/// Reads a whole small file (e.g. `/proc/self/maps`) with `read`, for files whose size
/// `stat` does not tell. Stops at `limit` bytes.
func readWholeFile(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SymbolicationError.cannotOpen(path: path, errno: errno) }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while result.count < limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw SymbolicationError.cannotOpen(path: path, errno: errno)
        }
        if n == 0 { break }
        result.append(contentsOf: chunk[0..<n])
    }
    return result
}

/// Reads up to `count` bytes at `offset` of an open file descriptor, retrying on EINTR.
func preadFully(_ fd: Int32, count: Int, offset: UInt64) -> [UInt8]? {
    guard count >= 0, offset <= UInt64(Int64.max) else { return nil }
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
        let n = buffer.withUnsafeMutableBytes {
            pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
        }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        done += n
    }
    return done == count ? buffer : nil
}
