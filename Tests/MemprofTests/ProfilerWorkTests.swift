import Foundation
import Memprof
import MemprofProfile
import XCTest

/// The profiler's own work is counted exactly and never sampled (issue 14: sampled, the
/// scrapes of an idle service grew its allocs profile at every scrape).
final class ProfilerWorkTests: XCTestCase {
    func testOwnWorkIsCountedNotSampledAndRegionsNest() throws {
        let before = ProfilerWork.allocations
        var kept: [[UInt8]] = []
        ProfilerWork.unsampled {
            // 72 blocks of 1 MiB: at the default rate each would be sampled with probability ~0.86.
            for _ in 0..<32 { kept.append([UInt8](repeating: 1, count: 1 << 20)) }
            ProfilerWork.unsampled {
                for _ in 0..<32 { kept.append([UInt8](repeating: 2, count: 1 << 20)) }
            }
            // Still paused after the inner region ended.
            for _ in 0..<8 { kept.append([UInt8](repeating: 3, count: 1 << 20)) }
        }
        let after = ProfilerWork.allocations
        XCTAssertGreaterThanOrEqual(after.objects - before.objects, 72)
        XCTAssertGreaterThanOrEqual(after.bytes - before.bytes, 72 << 20)
        let profile = try HeapProfile.snapshot()
        let ownWork = profile.functions.first { $0.name == "[memprof: own work]" }
        XCTAssertNotNil(ownWork, "the profile shows the own work's allocations")
        // None of the 72 blocks is in the sampled stacks: no sample of 1 MiB + header is live.
        let live = profile.samples.filter { $0.values[2] > 0 && ($0.numericLabels["bytes"]?.first ?? 0) >= 1 << 20 }
        XCTAssertTrue(live.isEmpty, "own work's blocks were sampled: \(live.count) samples")
        XCTAssertEqual(kept.count, 72)
    }

    /// A rate change restarts sampling on every thread but the paused ones: memprof's own
    /// event loop stays unsampled when an operator changes the rate.
    func testRateChangeLeavesAPausedThreadPaused() throws {
        let rate = HeapProfile.samplingRate
        defer { HeapProfile.samplingRate = rate }
        var kept: [[UInt8]] = []
        let sizes = (0..<40).map { (1 << 20) + 8192 + $0 * 4096 }
        ProfilerWork.unsampled {
            HeapProfile.samplingRate = 1  // every allocation of the other threads is sampled
            for size in sizes { kept.append([UInt8](repeating: 4, count: size)) }
        }
        HeapProfile.samplingRate = rate
        let profile = try HeapProfile.snapshot()
        let wanted = Set(sizes.map(Int64.init))
        let sampled = profile.samples.filter { $0.values[2] > 0 && wanted.contains($0.numericLabels["bytes"]?.first ?? 0) }
        XCTAssertTrue(sampled.isEmpty, "\(sampled.count) blocks of a paused thread were sampled after a rate change")
        // After the region, sampling is back on this thread: at rate 1 every block is sampled.
        HeapProfile.samplingRate = 1
        let after = [UInt8](repeating: 5, count: (3 << 20) + 4096 * 7)
        HeapProfile.samplingRate = rate
        let again = try HeapProfile.snapshot()
        XCTAssertTrue(again.samples.contains { $0.values[2] > 0 && ($0.numericLabels["bytes"]?.first ?? 0) >= Int64(after.count) },
                      "sampling did not resume after the region")
        XCTAssertEqual(kept.count, 40)
    }

    /// A claimed thread (memprof's own event loop) is never sampled; flushes count its work.
    func testClaimedThreadIsCountedAtFlushesAndNeverSampled() throws {
        let before = ProfilerWork.allocations
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var kept: [[UInt8]] = []
        let thread = Thread {
            ProfilerWork.claimThread()
            for k in 0..<40 { kept.append([UInt8](repeating: 1, count: (1 << 20) + k * 4096)) }
            ProfilerWork.flushClaimedThread()
            done.signal()
        }
        thread.start()
        done.wait()
        let after = ProfilerWork.allocations
        XCTAssertGreaterThanOrEqual(after.bytes - before.bytes, 40 << 20)
        let profile = try HeapProfile.snapshot()
        let sizes = Set((0..<40).map { Int64((1 << 20) + $0 * 4096) })
        let sampled = profile.samples.filter { $0.values[2] > 0 && sizes.contains($0.numericLabels["bytes"]?.first ?? 0) }
        XCTAssertTrue(sampled.isEmpty, "\(sampled.count) of the claimed thread's blocks were sampled")
        XCTAssertEqual(kept.count, 40)
    }
}
