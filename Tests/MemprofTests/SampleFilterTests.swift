#if canImport(Glibc)
import Glibc
#endif
import CMemprofHook
import Foundation
import Memprof
import MemprofProfile
import XCTest

/// free() asks the live table only when the page's filter word may hold the block: a page
/// with one live sampled block names its granule, a page with more counts them. Whatever
/// the word says, a sampled block leaves inuse exactly when it is freed, and its unsampled
/// neighbours' frees do not touch it.
final class SampleFilterTests: XCTestCase {
    private var savedRate: Int64 = 0
    override func setUp() { savedRate = HeapProfile.samplingRate }
    override func tearDown() { HeapProfile.samplingRate = savedRate }

    private func inuse(_ function: String) throws -> Int64 {
        let profile = try HeapProfile.snapshot()
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        let index = try XCTUnwrap(profile.sampleTypes.firstIndex { $0.type == "inuse_objects" })
        return profile.samples.filter { sample in
            sample.locationIDs.contains { id in
                locations[id]?.lines.contains { functions[$0.functionID]?.contains(function) == true } == true
            }
        }.reduce(0) { $0 + $1.values[index] }
    }

    private static func page(_ p: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: p) >> 12 }

    /// One allocation sequence, nothing else allocating between its calls: a lone sampled
    /// block with unsampled neighbours, a page and more of unsampled blocks, then two sampled
    /// blocks in one page with unsampled blocks between and after them. 2,000 unsampled
    /// blocks first empty glibc's caches of this size, so the rest come one after another.
    private struct Layout {
        var drain: [UnsafeMutableRawPointer] = []
        var lone: UnsafeMutableRawPointer? = nil
        var loneNeighbours: [UnsafeMutableRawPointer] = []
        var gap: [UnsafeMutableRawPointer] = []
        var first: UnsafeMutableRawPointer? = nil
        var second: UnsafeMutableRawPointer? = nil
        var pairNeighbours: [UnsafeMutableRawPointer] = []
        var unsampled: [UnsafeMutableRawPointer] { drain + loneNeighbours + gap + pairNeighbours }
    }

    private func allocateLayout() -> Layout {
        var l = Layout()
        l.drain.reserveCapacity(2000)
        l.loneNeighbours.reserveCapacity(4)
        l.gap.reserveCapacity(70)
        l.pairNeighbours.reserveCapacity(6)
        HeapProfile.samplingRate = 0
        for _ in 0..<2000 { l.drain.append(malloc(48)!) }
        HeapProfile.samplingRate = 1
        l.lone = sampleFilterLone()
        HeapProfile.samplingRate = 0
        for _ in 0..<3 { l.loneNeighbours.append(malloc(48)!) }
        for _ in 0..<70 { l.gap.append(malloc(48)!) }  // past the lone block's page
        HeapProfile.samplingRate = 1
        l.first = sampleFilterSecond()
        HeapProfile.samplingRate = 0
        for _ in 0..<2 { l.pairNeighbours.append(malloc(48)!) }
        HeapProfile.samplingRate = 1
        l.second = sampleFilterSecond()
        HeapProfile.samplingRate = 0
        for _ in 0..<2 { l.pairNeighbours.append(malloc(48)!) }
        return l
    }

    /// The layout, allocated by a thread of its own. glibc gives a new thread an arena of its
    /// own while it has fewer than 8 per core; in the test process's main arena, another
    /// thread's frees of 48-byte blocks (which glibc puts back in the block's own arena once
    /// that thread's cache is full) could hand this sequence blocks from anywhere, and did
    /// in a full run.
    private func allocateLayoutOnANewThread() -> Layout {
        final class Box: @unchecked Sendable { var layout = Layout() }
        let box = Box(), done = DispatchSemaphore(value: 0)
        let thread = Thread { box.layout = self.allocateLayout(); done.signal() }
        thread.start()
        done.wait()
        return box.layout
    }

    func testLoneAndSharedPagesKeepSampledBlocksExact() throws {
        let baseLone = try inuse("sampleFilterLone"), baseSecond = try inuse("sampleFilterSecond")
        // The layout the test needs: the two sampled blocks in one page, the lone one in
        // another, and each page with an unsampled neighbour. A page boundary in the wrong
        // place (about 1 in 20), or an arena that placed the blocks apart, means another try.
        func suitable(_ l: Layout) -> Bool {
            let lone = Self.page(l.lone!), pair = Self.page(l.first!)
            return pair == Self.page(l.second!) && lone != pair
                && l.loneNeighbours.contains { Self.page($0) == lone } && l.pairNeighbours.contains { Self.page($0) == pair }
        }
        var layout = allocateLayoutOnANewThread()
        for _ in 0..<20 where !suitable(layout) {
            for p in layout.unsampled + [layout.lone!, layout.first!, layout.second!] { free(p) }
            layout = allocateLayoutOnANewThread()
        }
        let lone = try XCTUnwrap(layout.lone), first = try XCTUnwrap(layout.first), second = try XCTUnwrap(layout.second)
        XCTAssertEqual(Self.page(first), Self.page(second), "two sampled blocks in one page")
        XCTAssertNotEqual(Self.page(lone), Self.page(first), "the lone sampled block has a page of its own")
        let loneNeighbours = layout.loneNeighbours.filter { Self.page($0) == Self.page(lone) }
        let pairNeighbours = layout.pairNeighbours.filter { Self.page($0) == Self.page(first) }
        XCTAssertFalse(loneNeighbours.isEmpty, "blocks after the lone one share its page")
        XCTAssertFalse(pairNeighbours.isEmpty)
        XCTAssertEqual(try inuse("sampleFilterLone") - baseLone, 1)
        XCTAssertEqual(try inuse("sampleFilterSecond") - baseSecond, 2)

        // The lone block's neighbours are freed: it stays live, and leaves inuse at its free.
        for p in loneNeighbours { free(p) }
        XCTAssertEqual(try inuse("sampleFilterLone") - baseLone, 1)
        free(lone)
        XCTAssertEqual(try inuse("sampleFilterLone") - baseLone, 0)

        // A page with two: a neighbour's free leaves both; each leaves inuse at its own free.
        for p in pairNeighbours { free(p) }
        XCTAssertEqual(try inuse("sampleFilterSecond") - baseSecond, 2)
        free(first)
        XCTAssertEqual(try inuse("sampleFilterSecond") - baseSecond, 1)
        free(second)
        XCTAssertEqual(try inuse("sampleFilterSecond") - baseSecond, 0)
        let freed = Set(loneNeighbours + pairNeighbours)
        for p in layout.unsampled where !freed.contains(p) { free(p) }
    }

    /// Rate 1 leaves its samples' pages stuck (a sample and its free then pay no atomic
    /// update of the filter). Leaving rate 1 counts every page again from the live table:
    /// no page stays stuck, each page of a block still live names or counts it, and the
    /// blocks sampled at rate 1 leave inuse at their free.
    func testLeavingRateOneCountsStuckPagesAgain() throws {
        let base = try inuse("sampleFilterKept")
        let count = 400
        var kept: [UnsafeMutableRawPointer] = []
        kept.reserveCapacity(count)
        HeapProfile.samplingRate = 1
        for _ in 0..<count { kept.append(sampleFilterKept()) }
        var during = memprof_filter_pages(), after = memprof_filter_pages(), freed = memprof_filter_pages()
        memprof_read_filter_pages(&during)
        HeapProfile.samplingRate = 0
        memprof_read_filter_pages(&after)
        let pages = Set(kept.map { (UInt(bitPattern: $0) >> 12) & ((1 << 19) - 1) }).count
        XCTAssertGreaterThanOrEqual(during.stuck, UInt64(pages), "at rate 1, every page of a sample is stuck")
        XCTAssertEqual(after.stuck, 0, "no page is stuck once the rate is not 1")
        XCTAssertGreaterThanOrEqual(after.lone + after.counted, UInt64(pages))
        XCTAssertEqual(try inuse("sampleFilterKept") - base, Int64(count))
        for p in kept { free(p) }
        XCTAssertEqual(try inuse("sampleFilterKept") - base, 0)
        memprof_read_filter_pages(&freed)
        XCTAssertEqual(freed.stuck, 0)
        XCTAssertLessThan(freed.lone + freed.counted, after.lone + after.counted, "freed blocks leave their pages' words")
    }

    /// Threads allocate and free while the rate moves between 1, a small rate and 0, so that
    /// pages are stuck, counted again and stuck again under them. Every sampled block still
    /// leaves inuse at its free, and once nothing runs, leaving rate 1 leaves no page stuck.
    func testRateChangesUnderThreadsLoseNoFree() throws {
        let base = try inuse("sampleFilterChurn")
        final class Stop: @unchecked Sendable {
            private let lock = NSLock()
            private var stopped = false
            var isSet: Bool { lock.withLock { stopped } }
            func set() { lock.withLock { stopped = true } }
        }
        let stop = Stop()
        let threads = 4, done = DispatchSemaphore(value: 0)
        for t in 0..<threads {
            Thread {
                var ring = [UnsafeMutableRawPointer?](repeating: nil, count: 64)
                var i = t
                while !stop.isSet {
                    let k = (i &* 7919) % ring.count
                    free(ring[k])
                    ring[k] = sampleFilterChurn(16 + (i % 97) * 16)
                    i += 1
                }
                for p in ring { free(p) }
                done.signal()
            }.start()
        }
        for round in 0..<300 {
            HeapProfile.samplingRate = [1, 0, 1, 4096, 1, 64][round % 6]
            usleep(1_000)
        }
        stop.set()
        for _ in 0..<threads { done.wait() }
        HeapProfile.samplingRate = 1
        HeapProfile.samplingRate = 0
        var pages = memprof_filter_pages()
        memprof_read_filter_pages(&pages)
        XCTAssertEqual(pages.stuck, 0)
        XCTAssertEqual(try inuse("sampleFilterChurn") - base, 0, "every sampled block freed left inuse")
    }
}

@inline(never)
func sampleFilterChurn(_ size: Int) -> UnsafeMutableRawPointer { malloc(size)! }

@inline(never)
func sampleFilterKept() -> UnsafeMutableRawPointer { malloc(48)! }

@inline(never)
func sampleFilterLone() -> UnsafeMutableRawPointer { malloc(48)! }

@inline(never)
func sampleFilterSecond() -> UnsafeMutableRawPointer { malloc(48)! }
