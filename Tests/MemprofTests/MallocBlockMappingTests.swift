import XCTest

@testable import Memprof

/// Which anonymous mappings hold malloc's large blocks, from canned smaps text and chunk
/// headers (the headers another process's memory would give).
final class MallocBlockMappingTests: XCTestCase {
    func testMallocMmappedBlocksNeedTilingChunkHeaders() {
        var text = smapsEntry("7f2000000000-7f2000021000", "rw-p", rss: 132) // one block
        text += smapsEntry("7f2000100000-7f2000300000", "rw-p", rss: 4) // two merged blocks
        text += smapsEntry("7f2000400000-7f2000500000", "rw-p", rss: 8) // a block, then other memory
        text += smapsEntry("7f2000600000-7f2000700000", "rw-p", rss: 4) // NON_MAIN_ARENA bit set
        text += smapsEntry("7f2000800000-7f2000900000", "rw-p", rss: 4) // unreadable
        text += smapsEntry("7f2000a00000-7f2000a45000", "rw-p", rss: 276) // 20 KiB of other memory, then a block
        text += smapsEntry("7f2000b00000-7f2000b10000", "rw-p", rss: 64) // too small to hold a block after its start
        let headers: [UInt64: (UInt64, UInt64)] = [
            0x7f2000000000: (0, 0x21000 | 2),
            0x7f2000100000: (0, 0x100000 | 2), 0x7f2000200000: (0, 0x100000 | 2),
            0x7f2000400000: (0, 0x80000 | 2), 0x7f2000480000: (0, 0),
            0x7f2000600000: (0, 0x100000 | 6),
            0x7f2000a05000: (0, 0x40000 | 2),
            0x7f2000b04000: (0, 0xc000 | 2),
        ]
        let breakdown = ProcessMemory.Breakdown(
            mappings: ProcessMemory.parseSmaps(text), readHeader: { headers[$0] })
        XCTAssertTrue(breakdown.readMallocHeaders)
        // Merged with other memory (another mmap of the same protection), a run of blocks is
        // split off; the counters are shared in proportion to size.
        XCTAssertEqual(breakdown.mappings.map(\.category),
                       [.mallocMmapped, .mallocMmapped, .mallocMmapped, .anonymous, .anonymous, .anonymous,
                        .anonymous, .mallocMmapped, .anonymous])
        XCTAssertEqual(breakdown.mappings.map(\.start), [
            0x7f2000000000, 0x7f2000100000, 0x7f2000400000, 0x7f2000480000, 0x7f2000600000, 0x7f2000800000,
            0x7f2000a00000, 0x7f2000a05000, 0x7f2000b00000,
        ])
        XCTAssertEqual(breakdown.mappings.map(\.residentBytes).map { $0 / 1024 }, [132, 4, 4, 4, 4, 4, 20, 256, 64])
        XCTAssertEqual(breakdown.groups(in: .mallocMmapped).first?.count, 5)
        XCTAssertEqual(breakdown.usage(of: .mallocMmapped).residentBytes, (132 + 4 + 4 + 256) * 1024)
        XCTAssertEqual(breakdown.mappings.reduce(0) { $0 + $1.residentBytes }, (132 + 4 + 8 + 4 + 4 + 276 + 64) * 1024,
                       "the parts add up to the mappings")
        XCTAssertEqual(breakdown.total.mappings, 7, "smaps entries, not parts")
    }
}
