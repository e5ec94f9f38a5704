#if canImport(Glibc)
import Glibc
#endif

/// What `Memprof.releaseFreeMemory()` gave back to the operating system.
public struct MemoryRelease: Sendable, CustomStringConvertible {
    /// Resident set size just before the release (`/proc/self/statm`), in bytes.
    public var residentBytesBefore: Int
    /// Resident set size just after the release, in bytes.
    public var residentBytesAfter: Int
    /// Whether `malloc_trim` reported that it returned memory to the system.
    public var trimmed: Bool
    /// Time the release took (`malloc_trim` consolidates and walks every free chunk of every
    /// arena under its lock: about 10 ms for a million free chunks).
    public var duration: Duration

    /// `residentBytesBefore - residentBytesAfter`. It can be negative when other threads grew
    /// the process meanwhile; the kernel's RSS counters are also approximate by a few hundred
    /// KiB on recent kernels (per-CPU batching).
    public var releasedBytes: Int { residentBytesBefore - residentBytesAfter }

    /// Creates a value (for tests and for reports built elsewhere).
    public init(residentBytesBefore: Int, residentBytesAfter: Int, trimmed: Bool, duration: Duration) {
        self.residentBytesBefore = residentBytesBefore
        self.residentBytesAfter = residentBytesAfter
        self.trimmed = trimmed
        self.duration = duration
    }

    /// e.g. `released 76.3 MiB (RSS 110.2 MiB -> 33.9 MiB) in 9.1 ms`.
    public var description: String {
        let nanoseconds = duration.components.seconds * 1_000_000_000
            + duration.components.attoseconds / 1_000_000_000
        let tenthsOfMillisecond = (nanoseconds + 50_000) / 100_000
        return "released \(Memprof.formatBytes(releasedBytes)) (RSS \(Memprof.formatBytes(residentBytesBefore))"
            + " -> \(Memprof.formatBytes(residentBytesAfter))) in \(tenthsOfMillisecond / 10).\(tenthsOfMillisecond % 10) ms"
    }
}

extension Memprof {
    /// Returns free heap memory to the operating system, like Go's `debug.FreeOSMemory`, and
    /// reports how much the resident set shrank.
    ///
    /// glibc keeps freed memory in its arenas for reuse: after freeing a million small objects
    /// a process can keep ~100 MB resident that nothing uses. This calls glibc's
    /// `malloc_trim(0)`, which merges free chunks, shrinks the top of every arena and
    /// `madvise(MADV_DONTNEED)`s every whole free page inside them. Nothing is moved: memory
    /// fragmented by live objects stays. It takes the arena locks, so other threads' `malloc`
    /// calls wait meanwhile; call it after a phase that freed a lot, not periodically.
    ///
    /// On a C library without `malloc_trim` (musl) nothing is released and `trimmed` is false.
    public static func releaseFreeMemory() -> MemoryRelease {
        let clock = ContinuousClock()
        let before = currentResidentBytes()
        let start = clock.now
        let trimmed = (MallocTrim.function?(0) ?? 0) != 0
        let duration = clock.now - start
        let after = currentResidentBytes()
        return MemoryRelease(
            residentBytesBefore: before, residentBytesAfter: after, trimmed: trimmed, duration: duration)
    }

    /// This process's resident set size from `/proc/self/statm` (0 if it cannot be read).
    /// Cheaper than `ProcessMemory.read()`: a few µs, no page-table walk. It does not call
    /// `malloc`: a large malloc would consolidate the free chunks that `malloc_trim` is about to
    /// consolidate, moving that work out of the measured duration.
    static func currentResidentBytes() -> Int {
        guard let file = ProcFile(path: "/proc/self/statm") else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            let (count, _) = ProcFile.retryingEINTR { read(file.descriptor, buffer.baseAddress, buffer.count) }
            guard count > 0 else { return 0 }
            // "size resident shared text lib data dt", in pages.
            var field = 0
            var pages = 0
            for byte in buffer[0..<count] {
                if byte == UInt8(ascii: " ") {
                    field += 1
                    if field > 1 { break }
                } else if field == 1 {
                    guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return 0 }
                    pages = pages * 10 + Int(byte - UInt8(ascii: "0"))
                }
            }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
    }
}

extension Memprof {
    /// Gives the free pages of every malloc arena back to the OS (`malloc_trim(0)`), without
    /// the measurements of `releaseFreeMemory()`. The HTTP endpoint calls it after building a
    /// profile, so that the build's transient memory never stays in RSS as free arena pages.
    /// Returns false where there is no `malloc_trim` (musl).
    @discardableResult
    public static func returnFreePages() -> Bool {
        guard let trim = MallocTrim.function else { return false }
        return trim(0) != 0
    }
}

/// glibc's `malloc_trim`, looked up at run time: the Glibc module does not import `<malloc.h>`.
private enum MallocTrim {
    typealias Function = @convention(c) (Int) -> Int32
    static let function: Function? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: Function.self) }
}
