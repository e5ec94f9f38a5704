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
}

/// Heap bytes owned by a reader, e.g. a decompressed debug section.
final class OwnedBytes {
    let bytes: UnsafeRawBufferPointer
    private let storage: UnsafeMutableRawPointer

    init(count: Int) {
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        bytes = UnsafeRawBufferPointer(start: storage, count: count)
    }

    var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage, count: bytes.count)
    }

    deinit { storage.deallocate() }
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
