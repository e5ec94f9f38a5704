import CMemprofHook
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// What the kernel says about a process's memory: the totals of `/proc/PID/status` (VIRT, RSS
/// and its parts, peaks, swap) and a breakdown of RSS by kind of mapping from `/proc/PID/smaps`.
///
/// ```swift
/// let memory = try ProcessMemory.read()          // this process
/// print(memory)                                   // a table, largest groups first
/// let heap = memory.breakdown.usage(of: .mallocHeap).residentBytes
/// ```
///
/// All sizes are bytes. The status totals and the smaps breakdown come from two reads a few
/// milliseconds apart and from two different kernel counters, so `residentBytes` (VmRSS) can
/// differ slightly from `breakdown.total.residentBytes` (the sum of smaps' `Rss:` lines). The
/// breakdown's groups always add up exactly to its own total.
public struct ProcessMemory: Sendable {
    /// The process id that was read.
    public var pid: Int32
    /// Virtual memory size (`VmSize`).
    public var virtualBytes: Int
    /// Resident set size (`VmRSS`): `rssAnon + rssFile + rssShmem`.
    public var residentBytes: Int
    /// Resident anonymous memory (`RssAnon`): heap, stacks, anonymous mmaps.
    public var rssAnon: Int
    /// Resident file-backed memory (`RssFile`): code and data of executables and libraries,
    /// mapped files.
    public var rssFile: Int
    /// Resident shared memory (`RssShmem`): System V shm, tmpfs/memfd files, shared anonymous.
    public var rssShmem: Int
    /// Peak virtual memory size (`VmPeak`).
    public var peakVirtualBytes: Int
    /// Peak resident set size, the "high water mark" (`VmHWM`).
    public var peakResidentBytes: Int
    /// Anonymous memory swapped out (`VmSwap`).
    public var swapBytes: Int
    /// Number of threads (`Threads`).
    public var threads: Int
    /// RSS, PSS, dirty and swap by kind of mapping, from `/proc/PID/smaps`.
    public var breakdown: Breakdown

    /// Reads `/proc/PID/status` and `/proc/PID/smaps` of a process.
    ///
    /// - Parameter pid: the process to read; `nil` (the default) reads this process.
    /// - Throws: `ProcessMemoryError` when the process does not exist, when reading it is not
    ///   permitted (another user's process, without root), or when `/proc` cannot be read.
    ///
    /// Large `malloc` blocks are told apart from other anonymous memory by reading their glibc
    /// chunk header through `/proc/PID/mem`; when that is not permitted they are counted as
    /// other anonymous memory and `breakdown.readMallocHeaders` is `false`.
    /// Reading smaps walks the page tables of the process: it takes about a millisecond per
    /// thousand mappings, so don't call it on a hot path.
    ///
    /// - Parameter profilerRanges: address ranges of the memprof hook's own memory in that
    ///   process (`.profiler`); `nil` (the default) asks this process's hook when `pid` is this
    ///   process, and means none for another one.
    public static func read(pid: Int32? = nil, profilerRanges: [Range<UInt64>]? = nil) throws -> ProcessMemory {
        if let profilerRanges { return try readFromProc(pid: pid, profilerRanges: profilerRanges) }
        if pid == nil || pid == getpid() { return try read(pid: pid, profilerRanges: { ownRanges() }) }
        return try readFromProc(pid: pid, profilerRanges: [])
    }

    /// Reads a process like `read(pid:profilerRanges:)`, with the memprof hook's ranges taken
    /// from `profilerRanges` just before and just after smaps is read.
    ///
    /// The hook maps and unmaps its tables while the process runs (a live table that grows is
    /// moved to a larger mapping), and the kernel merges adjacent tables into one mapping. A
    /// table mapped after its ranges were read would make the merged mapping look partly
    /// the program's, and so all of it. When the two readings differ, smaps is read again
    /// (up to three times); a process that keeps changing them gets the union of the last two.
    public static func read(pid: Int32? = nil, profilerRanges: () -> [Range<UInt64>]) throws -> ProcessMemory {
        var before = profilerRanges()
        for attempt in 1...3 {
            let memory = try readFromProc(pid: pid, profilerRanges: before)
            let after = profilerRanges()
            if Set(after) == Set(before) { return memory }
            if attempt == 3 { return try readFromProc(pid: pid, profilerRanges: Array(Set(before).union(after))) }
            before = after
        }
        preconditionFailure("unreachable")
    }

    /// The address ranges of this process's memprof hook's own memory.
    public static func ownRanges() -> [Range<UInt64>] {
        ownRanges(state: nil, size: 0)
    }

    /// The ranges a hook recorded in a state: this process's (`state` nil), or those of the
    /// process that claimed the `memprof run` shared state file mapped at `state` (`size`
    /// bytes; none if it is not such a file).
    public static func ownRanges(state: UnsafeRawPointer?, size: Int) -> [Range<UInt64>] {
        var buffer = [memprof_own_range](repeating: memprof_own_range(), count: 512)
        let n = buffer.withUnsafeMutableBufferPointer { memprof_read_own_ranges(state, size, $0.baseAddress, $0.count) }
        guard n > 0 else { return [] }
        // (Another process's file is written by that process: an entry that wraps is skipped.)
        return buffer[0..<Int(min(n, Int32(buffer.count)))].compactMap { r in
            r.length > 0 && r.start <= UInt64.max - r.length ? r.start..<(r.start + r.length) : nil
        }
    }
}

extension ProcessMemory {
    /// Memory of a set of mappings, as the kernel counts it in smaps.
    public struct Usage: Sendable, Equatable {
        /// Address space reserved (the mappings' sizes), resident or not.
        public var virtualBytes: Int = 0
        /// Resident set size: pages in RAM (smaps `Rss`).
        public var residentBytes: Int = 0
        /// Proportional set size: resident pages, each shared page divided by the number of
        /// processes that map it (smaps `Pss`). Summed over all processes it gives used RAM.
        public var proportionalBytes: Int = 0
        /// Pages written by this process and mapped by no other (smaps `Private_Dirty`): the
        /// memory this process alone is responsible for.
        public var privateDirtyBytes: Int = 0
        /// Pages swapped out (smaps `Swap`).
        public var swapBytes: Int = 0
        /// Number of mappings (smaps entries) counted.
        public var mappings: Int = 0

        /// An empty usage.
        public init() {}

        /// Adds the counters of another usage to this one.
        public mutating func add(_ other: Usage) {
            virtualBytes += other.virtualBytes
            residentBytes += other.residentBytes
            proportionalBytes += other.proportionalBytes
            privateDirtyBytes += other.privateDirtyBytes
            swapBytes += other.swapBytes
            mappings += other.mappings
        }
    }

    /// The kind of memory a mapping holds. See `Breakdown` for how each one is recognised.
    public enum Category: String, CaseIterable, Sendable {
        /// glibc malloc heaps: the main arena (`[heap]`, grown with brk) and the heaps of the
        /// other arenas (64 MiB-aligned anonymous reservations, one or more per arena).
        case mallocHeap = "malloc heap"
        /// Blocks malloc served with their own mmap (128 KiB to 32 MiB and larger, by glibc's
        /// dynamic threshold). Recognised only when their chunk header can be read.
        case mallocMmapped = "malloc mmapped blocks"
        /// Stacks of threads other than the main one, with their guard pages.
        case threadStack = "thread stacks"
        /// The main thread's stack (`[stack]`).
        case mainStack = "main stack"
        /// Anonymous memory not recognised as any of the above (Swift runtime metadata,
        /// other allocators, anonymous mmaps of the program, thread-local storage, ...).
        case anonymous = "other anonymous"
        /// The profiler's own memory: the anonymous mappings the memprof hook made for its tables
        /// (sampled stacks and blocks, their indexes, counter slots), which the hook records by
        /// address. Ours, never the program's; empty for a process that runs without the hook.
        case profiler = "memprof"
        /// Mappings of files: executables, shared libraries, mapped data files, shared memory.
        case file = "files"
        /// Kernel-provided mappings: `[vdso]`, `[vvar]`, `[vsyscall]` and the like.
        case special = "special"
        /// Everything else (for example `anon_inode:` or device mappings).
        case other = "other"
    }
}

extension ProcessMemory {
    /// Fills the status fields from the text of `/proc/PID/status`. Missing fields (kernel
    /// threads and zombies have no `Vm*` lines) stay zero; unknown lines are ignored.
    mutating func applyStatus(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let rest = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
                .flatMap { $0.split(separator: "\t") }
            guard let first = rest.first, let number = Int(first) else { continue }
            let value = rest.count > 1 && rest[1] == "kB" ? number * 1024 : number
            switch key {
            case "VmSize": virtualBytes = value
            case "VmRSS": residentBytes = value
            case "RssAnon": rssAnon = value
            case "RssFile": rssFile = value
            case "RssShmem": rssShmem = value
            case "VmPeak": peakVirtualBytes = value
            case "VmHWM": peakResidentBytes = value
            case "VmSwap": swapBytes = value
            case "Threads": threads = value
            default: break
            }
        }
    }

    /// A value with every counter zero, for `pid`.
    init(pid: Int32, breakdown: Breakdown) {
        self.pid = pid
        virtualBytes = 0; residentBytes = 0; rssAnon = 0; rssFile = 0; rssShmem = 0
        peakVirtualBytes = 0; peakResidentBytes = 0; swapBytes = 0; threads = 0
        self.breakdown = breakdown
    }
}
