import Memprof

/// The answer to "why does my program use this much memory?" for one reading of a process:
/// VIRT against RSS, and RSS split into parts that add up exactly to the smaps total.
///
/// Parts (they partition the mappings, so their sum is the RSS total of smaps):
/// - malloc heap: glibc's arenas and its mmapped blocks; with exact counters (the process runs
///   under the hook) split into live blocks and memory malloc holds but nobody uses;
/// - stacks: the main thread's and the other threads';
/// - code and libraries: everything mapped from files;
/// - other memory: anonymous mappings outside malloc, and kernel mappings (`[vdso]`).
/// - memprof itself: the hook's tables (it records their addresses), ours, not the program's.
struct MemoryExplanation {
    /// The reading.
    var memory: ProcessMemory
    /// Exact counters read at the same moment, when the process runs under the hook.
    var counters: AllocationCounters?
    /// What was read, e.g. `pid 4242 (server)` or `./app, 12 ms before it exited`.
    var subject: String
    /// Bold headings on a terminal.
    var terminal = Terminal(colours: false)
    /// The path of memprof's shared state file when the process runs under `memprof run` or
    /// `memprof explain -- CMD`: mapped into the process by the hook, it is ours, not the
    /// program's, and is named apart.
    var stateFile: String?

    /// The state file's group among the file mappings, if it is mapped.
    private var stateFileGroup: ProcessMemory.Group? {
        guard let stateFile else { return nil }
        return memory.breakdown.groups(in: .file).first { $0.name == stateFile || $0.name == stateFile + " (deleted)" }
    }

    /// One line of the RSS table.
    struct Part {
        var bytes: Int
        var label: String
        var indent = false
    }

    /// RSS by part, in bytes; `heap + stacks + files + other + profiler` is the smaps total.
    struct Split {
        var heap = 0, stacks = 0, files = 0, other = 0, profiler = 0
        /// Live bytes (exact counter, rounded to KiB) that are resident, and those that are not.
        var liveResident = 0, liveNotResident = 0
        /// Resident bytes of large malloc blocks that smaps showed as other anonymous memory
        /// (the kernel merges neighbouring anonymous mappings): moved to `heap` by the counter.
        var movedFromOther = 0
    }

    /// The split of RSS. With counters, live bytes beyond the malloc heap smaps recognised are
    /// large mmapped blocks inside merged anonymous mappings: they are taken from `other`.
    var split: Split {
        let b = memory.breakdown
        var s = Split()
        s.heap = b.usage(of: .mallocHeap).residentBytes + b.usage(of: .mallocMmapped).residentBytes
        s.stacks = b.usage(of: .threadStack).residentBytes + b.usage(of: .mainStack).residentBytes
        s.files = b.usage(of: .file).residentBytes
        s.other = b.usage(of: .anonymous).residentBytes + b.usage(of: .special).residentBytes
            + b.usage(of: .other).residentBytes
        s.profiler = b.usage(of: .profiler).residentBytes
        if let counters {
            let live = Int((counters.liveBytes + 512) / 1024) * 1024
            if live > s.heap {
                s.movedFromOther = min(live - s.heap, b.usage(of: .anonymous).residentBytes)
                s.heap += s.movedFromOther
                s.other -= s.movedFromOther
            }
            s.liveResident = min(live, s.heap)
            s.liveNotResident = live - s.liveResident
        }
        return s
    }

    /// The lines of the RSS table; sub-parts of the heap indented.
    var parts: [Part] {
        let s = split
        let b = memory.breakdown
        let threadStacks = memory.breakdown.groups(in: .threadStack).reduce(0) { $0 + $1.count }
        var result = [Part(bytes: s.heap, label: "malloc heap: memory malloc got from the system")]
        if let counters {
            result.append(Part(bytes: s.liveResident, label: "live: \(counters.liveObjects) blocks allocated and not yet freed (exact counter)", indent: true))
            result.append(Part(bytes: s.heap - s.liveResident, label: "held by malloc, unused: freed blocks kept for reuse, chunk headers, fragmentation", indent: true))
        }
        result.append(Part(bytes: s.stacks, label: "stacks: the main thread's" + (threadStacks > 0 ? " and \(threadStacks) other threads'" : "")))
        result.append(Part(bytes: s.files, label: "code and libraries: " + fileSummary()))
        result.append(Part(bytes: s.other, label: "other memory: anonymous mappings outside malloc (runtime metadata, mmaps), [vdso]"))
        if b.groups(in: .profiler).count > 0 {
            result.append(Part(bytes: s.profiler, label: "memprof itself: the profiler's tables (ours, not the program's)"))
        }
        return result
    }

    /// `7 files, most libswiftCore.so 6.1 MiB, libFoundation.so 3.0 MiB, ...`.
    func fileSummary() -> String {
        let ours = stateFileGroup
        let files = memory.breakdown.groups(in: .file).filter { $0.usage.residentBytes > 0 && $0.name != ours?.name }
        let top = files.prefix(3).map { "\(baseName($0.name)) \(Memprof.formatBytes($0.usage.residentBytes))" }
        var text = "\(files.count) files" + (top.isEmpty ? "" : ", most " + top.joined(separator: ", ") + (files.count > 3 ? ", ..." : ""))
        if let ours, ours.usage.residentBytes > 0 {
            text += "; and memprof's state file \(Memprof.formatBytes(ours.usage.residentBytes))"
        }
        return text
    }

    /// The whole explanation.
    var text: String {
        let b = memory.breakdown
        let rss = b.total.residentBytes
        var out = terminal.paint("Memory of \(subject)", .bold) + "\n\n"
        out += "VIRT \(Memprof.formatBytes(memory.virtualBytes)): address space reserved. Reserving costs no RAM; only touched pages do.\n"
        out += "     Largest reservations: \(reservations()).\n"
        out += "RSS  \(Memprof.formatBytes(rss)): pages in RAM. What they hold:\n\n"
        out += "         KiB                 share\n"
        let partList = parts
        for part in partList {
            out += row(part.bytes, of: rss) + (part.indent ? "    " : "  ") + part.label + "\n"
        }
        let sum = partList.filter { !$0.indent }.reduce(0) { $0 + $1.bytes }
        out += "  ----------\n"
        out += row(sum, of: rss) + "  = RSS: the sum of smaps' Rss lines, \(b.total.mappings) mappings"
        out += sum == rss ? "\n" : " (parts sum to \(kib(sum)) KiB?)\n"
        out += "      (/proc status said VmRSS \(Memprof.formatBytes(memory.residentBytes)), read a moment apart"
        out += memory.swapBytes > 0 ? "; \(Memprof.formatBytes(memory.swapBytes)) more is swapped out)\n" : ")\n"
        let sp = split
        if sp.movedFromOther > 0 {
            out += "      (\(Memprof.formatBytes(sp.movedFromOther)) of large malloc blocks lie in anonymous mappings the kernel merged with\n"
            out += "       others, where smaps cannot see them: that much is counted in the heap, not other memory)\n"
        }
        if sp.liveNotResident > 0 {
            out += "      (\(Memprof.formatBytes(sp.liveNotResident)) of the live blocks is not in RAM: allocated but never touched, or swapped)\n"
        }
        if !b.readMallocHeaders {
            out += "      (malloc's large blocks could not be recognised without access to the process's memory: they are in other memory)\n"
        }
        out += "\n" + terminal.paint("In short:", .bold) + " " + verdict(partList, rss: rss) + "\n"
        return out
    }

    /// The largest VIRT contributors by kind.
    func reservations() -> String {
        let b = memory.breakdown
        let kinds: [(String, Int)] = [
            ("malloc heap", b.usage(of: .mallocHeap).virtualBytes + b.usage(of: .mallocMmapped).virtualBytes),
            ("thread stacks", b.usage(of: .threadStack).virtualBytes + b.usage(of: .mainStack).virtualBytes),
            ("files", b.usage(of: .file).virtualBytes - (stateFileGroup?.usage.virtualBytes ?? 0)),
            ("memprof's state file (ours, not the program's)", stateFileGroup?.usage.virtualBytes ?? 0),
            ("memprof's tables (ours)", b.usage(of: .profiler).virtualBytes),
            ("other", b.usage(of: .anonymous).virtualBytes + b.usage(of: .special).virtualBytes + b.usage(of: .other).virtualBytes),
        ]
        return kinds.sorted { $0.1 > $1.1 }.filter { $0.1 > 0 }
            .map { "\($0.0) \(Memprof.formatBytes($0.1))" }.joined(separator: ", ")
    }

    /// One sentence naming the largest part and what to do about it.
    func verdict(_ parts: [Part], rss: Int) -> String {
        guard rss > 0 else { return "nothing is resident." }
        let top = parts.filter { !$0.indent || counters != nil }
            .filter { !($0.label.hasPrefix("malloc heap") && counters != nil) }
            .max { $0.bytes < $1.bytes }!
        let share = percent(top.bytes, of: rss)
        switch top.label {
        case let l where l.hasPrefix("live"):
            return "\(share) of RSS is live heap: blocks the program still holds. See which code allocated them with\n"
                + "  memprof run -o heap.pb.gz -- CMD; memprof top --inuse_space heap.pb.gz"
        case let l where l.hasPrefix("held"):
            return "\(share) of RSS is free memory malloc keeps for reuse. malloc_trim(0) (Memprof's\n"
                + "  MemoryRelease.releaseFreeMemory()) gives it back; MALLOC_ARENA_MAX=2 limits per-thread arenas."
        case let l where l.hasPrefix("malloc heap"):
            return "\(share) of RSS is malloc heap (live blocks and free memory malloc keeps; run the program under\n"
                + "  memprof explain -- CMD to tell them apart)."
        case let l where l.hasPrefix("code"):
            return "\(share) of RSS is code and libraries, mostly shared with other processes that map the same files."
        case let l where l.hasPrefix("memprof"):
            return "\(share) of RSS is memprof's own tables, not the program's: a lower sampling rate (a larger\n"
                + "  --rate) keeps fewer stacks and blocks."
        case let l where l.hasPrefix("stacks"):
            return "\(share) of RSS is thread stacks: fewer threads, or smaller stacks, use less."
        default:
            return "\(share) of RSS is anonymous memory outside malloc (runtime metadata, the program's own mmaps)."
        }
    }

    private func row(_ bytes: Int, of total: Int) -> String {
        let k = kib(bytes)
        let human = "(" + Memprof.formatBytes(bytes) + ")"
        return "  " + pad(k, 10) + " " + pad(human, 11) + " " + pad(percent(bytes, of: total), 6)
    }

    private func kib(_ bytes: Int) -> String {
        let digits = String(bytes / 1024)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    private func percent(_ part: Int, of total: Int) -> String {
        guard total > 0 else { return "0.0%" }
        let tenths = (part * 1000 + total / 2) / total
        return "\(tenths / 10).\(tenths % 10)%"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    private func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
