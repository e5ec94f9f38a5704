import XCTest

@testable import Memprof

/// Parsing and classifying canned `/proc/PID/smaps` and `status` text, and byte formatting.
final class ProcessMemoryParsingTests: XCTestCase {
    func testParsesHeaderFieldsAndCounters() {
        let text = """
        55dd2d5a7000-55dd2d5ad000 r-xp 00002000 fe:00 254163                     /usr/bin/head
        Size:                 24 kB
        Rss:                  24 kB
        Pss:                  12 kB
        Shared_Clean:          8 kB
        Shared_Dirty:          4 kB
        Private_Clean:        12 kB
        Private_Dirty:         0 kB
        Swap:                  0 kB
        VmFlags: rd ex mr mw me 
        7f599a000000-7f599a800000 rw-p 00000000 00:00 0 
        Rss:                   8 kB
        Private_Dirty:         8 kB
        Anonymous:             8 kB
        Swap:                 16 kB

        """
        let mappings = ProcessMemory.parseSmaps(text)
        XCTAssertEqual(mappings.count, 2)
        let code = mappings[0]
        XCTAssertEqual(code.start, 0x55dd2d5a7000)
        XCTAssertEqual(code.end, 0x55dd2d5ad000)
        XCTAssertEqual(code.virtualBytes, 24 * 1024)
        XCTAssertEqual(code.permissions, "r-xp")
        XCTAssertTrue(code.isReadable && code.isExecutable && code.isPrivate && !code.isWritable)
        XCTAssertEqual(code.offset, 0x2000)
        XCTAssertEqual(code.device, "fe:00")
        XCTAssertEqual(code.inode, 254163)
        XCTAssertEqual(code.path, "/usr/bin/head")
        XCTAssertFalse(code.isDeleted || code.isAnonymous)
        XCTAssertEqual(code.residentBytes, 24 * 1024)
        XCTAssertEqual(code.proportionalBytes, 12 * 1024)
        XCTAssertEqual(code.sharedCleanBytes, 8 * 1024)
        XCTAssertEqual(code.sharedDirtyBytes, 4 * 1024)
        XCTAssertEqual(code.privateCleanBytes, 12 * 1024)
        XCTAssertEqual(code.flags, ["rd", "ex", "mr", "mw", "me"])
        let anonymous = mappings[1]
        XCTAssertEqual(anonymous.path, "")
        XCTAssertTrue(anonymous.isAnonymous && anonymous.isWritable)
        XCTAssertEqual(anonymous.virtualBytes, 8 << 20)
        XCTAssertEqual(anonymous.privateDirtyBytes, 8192)
        XCTAssertEqual(anonymous.anonymousBytes, 8192)
        XCTAssertEqual(anonymous.swapBytes, 16384)
        XCTAssertEqual(anonymous.flags, [])
    }

    func testPathsWithSpacesDeletedFilesAndOddLines() {
        let text = """
        Rss: 999 kB
        garbage that is not smaps at all
        7f0000000000-7f0000001000 r--p 00000000 fe:00 12                         /tmp/my dir/lib foo.so
        Rss:   4 kB
        : no key
        Pss: lots kB
        Swap: 99999999999999999999 kB
        Private_Dirty: 4 MB
        SomethingNew:   12 kB

        7f0000001000-7f0000002000 rw-s 00000000 00:01 77                         /memfd:buffer (deleted)
        Rss:   4 kB
        7f0000002000-7f0000003000 r--p 00000000 fe:00 13                         /tmp/gone (deleted) (deleted)
        0123456789abcdef0-0123456789abcdef1 r--p 00000000 00:00 0
        7f0000004000-7f0000003000 r--p 00000000 00:00 0
        7f0000005000-7f0000006000 rwx
        7f0000006000-7f0000007000 rw-p 00000000 00:00 0                          [anon:my pool]
        ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
        Rss:                   4
        """
        let mappings = ProcessMemory.parseSmaps(text)
        XCTAssertEqual(mappings.map(\.path), ["/tmp/my dir/lib foo.so", "/memfd:buffer", "/tmp/gone (deleted)",
                                              "[anon:my pool]", "[vsyscall]"])
        XCTAssertEqual(mappings.map(\.isDeleted), [false, true, true, false, false])
        XCTAssertEqual(mappings[0].residentBytes, 4096, "fields before the first header are dropped")
        XCTAssertEqual(mappings[0].proportionalBytes, 0, "non-numeric value ignored")
        XCTAssertEqual(mappings[0].swapBytes, 0, "overflowing value ignored")
        XCTAssertEqual(mappings[0].privateDirtyBytes, 4, "unknown unit: taken as bytes")
        XCTAssertEqual(mappings[1].permissions, "rw-s")
        XCTAssertFalse(mappings[1].isPrivate)
        XCTAssertTrue(mappings[3].isAnonymous)
        XCTAssertEqual(mappings[4].end, 0xffffffffff601000)
        XCTAssertEqual(mappings[4].residentBytes, 4, "a value without unit is bytes")
        XCTAssertTrue(ProcessMemory.parseSmaps("").isEmpty)
        XCTAssertTrue(ProcessMemory.parseSmaps("\n\n\u{0}\u{FFFD}-\n").isEmpty)
    }

    func testClassifiesMappings() throws {
        var text = smapsEntry("55dd2d5a5000-55dd2d5a7000", "r--p", path: "/usr/bin/my tool", rss: 8)
        text += smapsEntry("55dd2d5a7000-55dd2d5ad000", "r-xp", path: "/usr/bin/my tool", rss: 24, flags: "rd ex mr mw me")
        text += smapsEntry("55dd2d5ad000-55dd2d5ae000", "rw-p", path: "/usr/bin/my tool", rss: 4, dirty: 4)
        text += smapsEntry("55dd2e000000-55dd2e100000", "rw-p", path: "[heap]", rss: 1000, dirty: 1000)
        // An arena heap: 64 MiB-aligned, NORESERVE, rw front and ---p rest.
        text += smapsEntry("7f1444000000-7f1444021000", "rw-p", rss: 132, dirty: 132, flags: "rd wr mr mw me nr")
        text += smapsEntry("7f1444021000-7f1448000000", "---p", flags: "mr mw me nr")
        // Two full heaps merged into one mapping.
        text += smapsEntry("7f1448000000-7f1450000000", "rw-p", rss: 100, dirty: 100, flags: "rd wr mr mw me nr")
        // 64 MiB-aligned but not NORESERVE: not a heap.
        text += smapsEntry("7f1450000000-7f1450100000", "rw-p", rss: 8, dirty: 8)
        // Two thread stacks with one-page guards.
        text += smapsEntry("7f14529fd000-7f14529fe000", "---p", flags: "mr mw me nh")
        text += smapsEntry("7f14529fe000-7f14531fe000", "rw-p", rss: 16, dirty: 16, flags: "rd wr mr mw me ac nh")
        text += smapsEntry("7f14531fe000-7f14531ff000", "---p", flags: "mr mw me nh")
        text += smapsEntry("7f14531ff000-7f14539ff000", "rw-p", rss: 12, dirty: 12, flags: "rd wr mr mw me ac nh")
        // A large ---p reservation is not a guard page.
        text += smapsEntry("7f1460000000-7f1470000000", "---p", flags: "mr mw me")
        text += smapsEntry("7f1470000000-7f1470010000", "rw-p", rss: 64, dirty: 64)
        text += smapsEntry("7f1480000000-7f1480001000", "rw-p", path: "/lib/libx.so (deleted)", rss: 4, dirty: 4)
        text += smapsEntry("7f1490000000-7f1490002000", "r-xp", path: "[vdso]", rss: 8)
        text += smapsEntry("7f1490002000-7f1490006000", "r--p", path: "[vvar]")
        text += smapsEntry("7f14a0000000-7f14a0001000", "rw-s", path: "anon_inode:i915.gem", rss: 4)
        text += smapsEntry("7ffee6aa5000-7ffee6ac6000", "rw-p", path: "[stack]", rss: 20, dirty: 20, flags: "rd wr mr mw me gd ac")
        text += smapsEntry("ffffffffff600000-ffffffffff601000", "--xp", path: "[vsyscall]", flags: "ex")

        let breakdown = ProcessMemory.Breakdown(smaps: text)
        XCTAssertFalse(breakdown.readMallocHeaders)
        XCTAssertEqual(breakdown.mappings.map(\.category), [
            .file, .file, .file, .mallocHeap, .mallocHeap, .mallocHeap, .mallocHeap, .anonymous,
            .threadStack, .threadStack, .threadStack, .threadStack, .anonymous, .anonymous,
            .file, .special, .special, .other, .mainStack, .special,
        ])
        XCTAssertEqual(breakdown.groups.map(\.name), [
            "[heap]", "malloc arenas", "thread stacks", "[stack]", "anonymous",
            "/usr/bin/my tool", "/lib/libx.so (deleted)", "[vdso]", "[vsyscall]", "[vvar]", "anon_inode:i915.gem",
        ])
        let arenas = breakdown.groups[1]
        XCTAssertEqual(arenas.count, 3, "one heap plus two merged heaps")
        XCTAssertEqual(arenas.usage.virtualBytes, 3 * (64 << 20))
        XCTAssertEqual(arenas.usage.residentBytes, 232 * 1024)
        XCTAssertEqual(arenas.usage.mappings, 3)
        let stacks = breakdown.groups[2]
        XCTAssertEqual(stacks.count, 2)
        XCTAssertEqual(stacks.usage.residentBytes, 28 * 1024)
        XCTAssertEqual(stacks.readOnly.virtualBytes, 2 * 4096, "the guard pages")
        XCTAssertEqual(stacks.data.virtualBytes, 2 * (8 << 20))
        let tool = breakdown.groups[5]
        XCTAssertEqual(tool.category, .file)
        XCTAssertEqual(tool.count, 3)
        XCTAssertEqual([tool.code.residentBytes, tool.data.residentBytes, tool.readOnly.residentBytes],
                       [24 * 1024, 4 * 1024, 8 * 1024])
        XCTAssertEqual(tool.usage.proportionalBytes, 18 * 1024)
        XCTAssertEqual(tool.data.privateDirtyBytes, 4 * 1024)
        XCTAssertEqual(breakdown.usage(of: .anonymous).residentBytes, 72 * 1024)
        XCTAssertEqual(breakdown.usage(of: .mallocHeap).residentBytes, 1232 * 1024)

        var sum = ProcessMemory.Usage()
        breakdown.groups.forEach { sum.add($0.usage) }
        XCTAssertEqual(sum, breakdown.total)
        XCTAssertEqual(breakdown.total.residentBytes, 1404 * 1024)
        XCTAssertEqual(breakdown.total.mappings, 20)

        XCTAssertEqual(breakdown.mapping(containing: 0x7f14529fe000)?.category, .threadStack)
        XCTAssertEqual(breakdown.mapping(containing: 0x7f14531fdfff)?.start, 0x7f14529fe000)
        XCTAssertNil(breakdown.mapping(containing: 0x7f1470010000))
        XCTAssertNil(breakdown.mapping(containing: 0x1000))
        XCTAssertEqual(breakdown.mapping(containing: 0xffffffffff600fff)?.path, "[vsyscall]")
        XCTAssertTrue(breakdown.description.contains("  malloc arenas\n"), breakdown.description)
    }

    func testArenaShapeWithoutVmFlagsAndGlibcNames() {
        var text = smapsEntry("7f1444000000-7f1444021000", "rw-p", rss: 132, flags: nil)
        text += smapsEntry("7f1444021000-7f1448000000", "---p", flags: nil)
        text += smapsEntry("7f1450000000-7f1450021000", "rw-p", rss: 4, flags: nil) // no 64 MiB tail
        text += smapsEntry("7f1460000000-7f1460021000", "rw-p", path: "[anon: glibc: malloc arena]", rss: 4)
        text += smapsEntry("7f1460021000-7f1464000000", "---p", path: "[anon: glibc: malloc arena]")
        text += smapsEntry("7f1470000000-7f1470100000", "rw-p", path: "[anon: glibc: malloc]", rss: 4)
        text += smapsEntry("7f1480000000-7f1480001000", "---p", path: "[anon: glibc: pthread stack: 4242]")
        text += smapsEntry("7f1480001000-7f1480801000", "rw-p", path: "[anon: glibc: pthread stack: 4242]", rss: 8)
        text += smapsEntry("7f1490000000-7f1490001000", "rw-p", path: "[stack:4243]", rss: 4)
        text += smapsEntry("7f14a0000000-7f14a0001000", "rw-p", path: "[anon:swift pool]", rss: 4)
        let breakdown = ProcessMemory.Breakdown(smaps: text)
        XCTAssertEqual(breakdown.mappings.map(\.category), [
            .mallocHeap, .mallocHeap, .anonymous, .mallocHeap, .mallocHeap, .mallocMmapped,
            .threadStack, .threadStack, .threadStack, .anonymous,
        ])
        XCTAssertEqual(breakdown.groups(in: .mallocHeap).first?.count, 2)
        XCTAssertEqual(breakdown.groups(in: .threadStack).first?.count, 2)
    }

    func testStatusParsing() {
        var memory = ProcessMemory(pid: 7, breakdown: ProcessMemory.Breakdown(smaps: ""))
        memory.applyStatus("""
        Name:\tcat
        VmPeak:\t    3060 kB
        VmSize:\t    3056 kB
        VmHWM:\t    1708 kB
        VmRSS:\t    1700 kB
        RssAnon:\t     112 kB
        RssFile:\t    1588 kB
        RssShmem:\t       0 kB
        VmSwap:\t       8 kB
        Threads:\t3
        garbage
        VmData:\tmany kB
        """)
        XCTAssertEqual(memory.peakVirtualBytes, 3060 * 1024)
        XCTAssertEqual(memory.virtualBytes, 3056 * 1024)
        XCTAssertEqual(memory.peakResidentBytes, 1708 * 1024)
        XCTAssertEqual(memory.residentBytes, 1700 * 1024)
        XCTAssertEqual([memory.rssAnon, memory.rssFile, memory.rssShmem], [112 * 1024, 1588 * 1024, 0])
        XCTAssertEqual(memory.swapBytes, 8 * 1024)
        XCTAssertEqual(memory.threads, 3)
    }

    func testFormatBytes() {
        XCTAssertEqual(Memprof.formatBytes(0), "0 B")
        XCTAssertEqual(Memprof.formatBytes(1023), "1023 B")
        XCTAssertEqual(Memprof.formatBytes(1024), "1.0 KiB")
        XCTAssertEqual(Memprof.formatBytes(1536), "1.5 KiB")
        XCTAssertEqual(Memprof.formatBytes(100_033_331), "95.4 MiB")
        XCTAssertEqual(Memprof.formatBytes(1_048_575), "1.0 MiB")
        XCTAssertEqual(Memprof.formatBytes(-3_355_443), "-3.2 MiB")
        XCTAssertEqual(Memprof.formatBytes(UInt64(3) << 40), "3.0 TiB")
        XCTAssertEqual(Memprof.formatBytes(Int.min), "-8.0 EiB")
        XCTAssertEqual(Memprof.formatBytes(UInt64.max), "16.0 EiB")
    }
}
