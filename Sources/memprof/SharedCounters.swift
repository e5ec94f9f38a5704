#if canImport(Glibc)
import CMemprofHook
import Glibc
import Memprof

/// The exact malloc counters of another process, when it runs under the preload hook with a
/// shared state file (`memprof run`, `memprof explain -- CMD`): the file is named by
/// `MEMPROF_SHM` in the process's environment, and its counters are live.
///
/// Returns nil when the process has no such file, or the file belongs to another process
/// (a child of the one that claimed it).
final class SharedCounters {
    private let pid: Int32
    private let base: UnsafeMutableRawPointer
    private let size: Int

    /// Maps the shared state file of `pid`, if it has one it owns.
    init?(pid: Int32) {
        guard let path = SharedCounters.environmentValue("MEMPROF_SHM", pid: pid) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = memprof_shared_state_size()
        guard let m = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else { return nil }
        // Checked before the properties are set: once they all are, a failing init runs
        // deinit, which would unmap a second time.
        guard memprof_shared_state_owner(m) == pid else {
            munmap(m, size)
            return nil
        }
        self.size = size
        base = m
        self.pid = pid
    }

    deinit { munmap(base, size) }

    /// The counters now (they keep changing while the process runs).
    func read() -> AllocationCounters? {
        var c = memprof_counters()
        guard memprof_shared_state_owner(base) == pid, memprof_read_shared_counters(base, size, &c) == 0 else {
            return nil
        }
        return AllocationCounters(c)
    }

    /// The address ranges of the hook's own memory in the process (its tables), for
    /// `ProcessMemory.read(pid:profilerRanges:)`; empty once the file is no longer its.
    ///
    /// Only while the process still maps the preload library: the same pid may have exec'd a
    /// program without the hook, and its mappings can land where the old image's tables were.
    func ownRanges() -> [Range<UInt64>] {
        guard memprof_shared_state_owner(base) == pid, mapsPreloadLibrary() else { return [] }
        return ProcessMemory.ownRanges(state: base, size: size)
    }

    private func mapsPreloadLibrary() -> Bool {
        guard let maps = Self.readFile("/proc/\(pid)/maps") else { return false }
        return String(decoding: maps, as: UTF8.self).contains("/libmemprof_preload.so")
    }

    /// A whole `/proc` file (they have no size: read to the end), nil if it cannot be opened.
    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += chunk[0..<n]
        }
        return data
    }

    /// A variable of `/proc/PID/environ` (the environment the process started with).
    static func environmentValue(_ name: String, pid: Int32) -> String? {
        guard let data = readFile("/proc/\(pid)/environ") else { return nil }
        let prefix = Array((name + "=").utf8)
        for entry in data.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }
}
#endif
