#if canImport(Glibc)
import Glibc

extension ProcessMemory {
    static func readFromProc(pid: Int32?, profilerRanges ranges: [Range<UInt64>]) throws -> ProcessMemory {
        if let pid, pid <= 0 { throw ProcessMemoryError.invalid(pid: pid) }
        let resolvedPID = pid ?? getpid()
        let directory = pid.map { "/proc/\($0)" } ?? "/proc/self"
        let status = try ProcFile.readAll(directory + "/status", pid: resolvedPID)
        let smaps = try ProcFile.readAll(directory + "/smaps", pid: resolvedPID)
        let mem = ProcFile(path: directory + "/mem")
        let breakdown = Breakdown(mappings: SmapsParser.parse(smaps), readHeader: mem.map { file in
            { address in file.readTwoWords(at: address) }
        }, profilerRanges: ranges)
        var memory = ProcessMemory(pid: resolvedPID, breakdown: breakdown)
        memory.applyStatus(String(decoding: status, as: UTF8.self))
        return memory
    }
}

/// A `/proc` file opened read-only. The one place that calls into the kernel for
/// `ProcessMemory` and `MemoryRelease` and reads `errno`.
final class ProcFile {
    let descriptor: Int32

    /// Opens a file for reading, or returns nil when it cannot be opened.
    init?(path: String) {
        let (fd, _) = ProcFile.retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Reads a whole file; `/proc` files have no size, so it reads until end of file.
    static func readAll(_ path: String, pid: Int32) throws -> [UInt8] {
        let (fd, openError) = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw ProcessMemoryError(pid: pid, path: path, errno: openError) }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let (count, readError) = retryingEINTR {
                chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            }
            guard count >= 0 else { throw ProcessMemoryError(pid: pid, path: path, errno: readError) }
            if count == 0 { return contents }
            contents.append(contentsOf: chunk[0..<count])
        }
    }

    /// The two machine words at `address` of the process whose `mem` file this is.
    func readTwoWords(at address: UInt64) -> (UInt64, UInt64)? {
        guard address <= UInt64(Int.max - 16) else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        let (count, _) = ProcFile.retryingEINTR {
            withUnsafeMutableBytes(of: &words) { pread(descriptor, $0.baseAddress, 16, off_t(address)) }
        }
        return count == 16 ? words : nil
    }

    /// Runs a system call, retrying while it fails with `EINTR`; returns its result and the
    /// errno when it returned -1 (0 otherwise).
    static func retryingEINTR<T: FixedWidthInteger>(_ call: () -> T) -> (T, Int32) {
        while true {
            let result = call()
            if result != -1 { return (result, 0) }
            let error = errno
            if error != EINTR { return (result, error) }
        }
    }
}
#endif
