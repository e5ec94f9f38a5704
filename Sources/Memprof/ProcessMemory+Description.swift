extension ProcessMemory: CustomStringConvertible {
    /// A summary line from `/proc/PID/status` followed by the breakdown table, e.g.
    ///
    /// ```
    /// pid 4242: VIRT 1.1 GiB, RSS 95.4 MiB (anon 80.2 MiB, file 15.2 MiB, shmem 0 B), peak RSS 120.3 MiB, swap 0 B, 3 threads
    ///        RSS        PSS  PrivDirty       Swap       VIRT  Count  Group
    ///   76.3 MiB   76.3 MiB   76.3 MiB        0 B   76.6 MiB      1  [heap]
    ///   ...
    /// ```
    public var description: String {
        "pid \(pid): VIRT \(Memprof.formatBytes(virtualBytes)), RSS \(Memprof.formatBytes(residentBytes))"
            + " (anon \(Memprof.formatBytes(rssAnon)), file \(Memprof.formatBytes(rssFile)),"
            + " shmem \(Memprof.formatBytes(rssShmem))), peak RSS \(Memprof.formatBytes(peakResidentBytes)),"
            + " swap \(Memprof.formatBytes(swapBytes)), \(threads) threads\n" + breakdown.description
    }
}

extension ProcessMemory.Breakdown: CustomStringConvertible {
    /// One line per group with resident or swapped memory (groups with neither are counted in
    /// a closing note), then the total of all mappings.
    public var description: String {
        var lines = [row(["RSS", "PSS", "PrivDirty", "Swap", "VIRT", "Count"], "Group")]
        var idle = 0
        for group in groups {
            guard group.usage.residentBytes > 0 || group.usage.swapBytes > 0 else {
                idle += 1
                continue
            }
            lines.append(row(columns(group.usage, count: group.count), label(group)))
        }
        lines.append(row(columns(total, count: total.mappings), "total (sum of smaps, \(total.mappings) mappings)"))
        if idle > 0 { lines.append("  (\(idle) more groups have nothing resident)") }
        if !readMallocHeaders { lines.append("  (malloc headers unreadable: large malloc blocks are in other anonymous)") }
        return lines.joined(separator: "\n")
    }

    private func label(_ group: ProcessMemory.Group) -> String {
        switch group.name {
        case "[heap]" where group.category == .mallocHeap: return "[heap] (malloc main arena)"
        case "[stack]" where group.category == .mainStack: return "[stack] (main thread)"
        case "anonymous" where group.category == .anonymous: return "other anonymous"
        case "memprof" where group.category == .profiler: return "memprof (the profiler's own tables)"
        default: return group.name
        }
    }

    private func columns(_ usage: ProcessMemory.Usage, count: Int) -> [String] {
        [usage.residentBytes, usage.proportionalBytes, usage.privateDirtyBytes, usage.swapBytes, usage.virtualBytes]
            .map { Memprof.formatBytes($0) } + ["\(count)"]
    }

    private func row(_ cells: [String], _ label: String) -> String {
        let widths = [10, 10, 10, 10, 10, 6]
        var line = ""
        for (cell, width) in zip(cells, widths) {
            line += String(repeating: " ", count: max(1, width + 1 - cell.count)) + cell
        }
        return line + "  " + label
    }
}
