import CMemprofHook
import Foundation
import Memprof
import MemprofProfile
import Synchronization
import XCTest
@testable import MemprofHTTP

/// Ends the allocation path of a live sample at `depth` frames of recursion, so that each
/// depth is a stack of its own.
@inline(never)
func httpTestLiveSample(depth: Int, size: Int) -> UnsafeMutableRawPointer? {
    if depth > 0 {
        let block = httpTestLiveSample(depth: depth - 1, size: size)
        httpTestFramesReturned &+= 1  // work after the call: no tail call, so every depth keeps its frame in a release build too
        return block
    }
    let block = malloc(size)
    httpTestFramesReturned &+= 1
    return block
}

nonisolated(unsafe) var httpTestFramesReturned = 0

/// With 100,000 live sampled blocks: how long the sampler lock is held while a profile is
/// copied (allocating threads that sample wait that long), how long a waiting thread really
/// waits while profiles are served, and how long serving `/debug/pprof/heap` takes.
/// Goals: lock held about 1 ms at most; a profile served within 200 ms (release build).
///
/// It runs in a child process (this test binary again, with `MEMPROF_HTTP_BENCHMARK_CHILD`
/// set): the sampler's tables cannot be emptied, and 100,000 samples left behind would slow
/// every later test of this process.
final class LiveSamplesBenchmarkTests: XCTestCase {
    static let liveBlocks = 100_000
    static let paths = 100
    static let sizes = 64
    static let childVariable = "MEMPROF_HTTP_BENCHMARK_CHILD"

    func testHundredThousandLiveSamples() async throws {
        guard ProcessInfo.processInfo.environment[Self.childVariable] != nil else {
            let child = try TestProcess.run(CommandLine.arguments[0],
                                            ["MemprofHTTPTests.LiveSamplesBenchmarkTests/testHundredThousandLiveSamples"],
                                            environment: [Self.childVariable: "1"], timeout: 600)
            for line in (child.stdout + child.stderr).split(separator: "\n")
            where line.hasPrefix("[memprof-http]") || line.contains("error") {
                print(line)
            }
            XCTAssertEqual(child.status, 0, "the benchmark failed in its child process")
            return
        }
        let savedRate = HeapProfile.samplingRate
        let blocks = UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>.allocate(capacity: Self.liveBlocks)
        // Every block sampled: 100 stacks x 64 sizes = 6,400 buckets holding 100,000 samples.
        HeapProfile.samplingRate = 1
        for i in 0..<Self.liveBlocks {
            blocks[i] = httpTestLiveSample(depth: i % Self.paths, size: 64 + 16 * ((i / Self.paths) % Self.sizes))
        }
        // A realistic small rate from here on, so that the server's own allocations are not
        // all sampled while it works.
        HeapProfile.samplingRate = 4096
        defer {
            for block in blocks { free(block) }
            blocks.deallocate()
            HeapProfile.samplingRate = savedRate
        }

        var header = memprof_profile_header()
        XCTAssertEqual(memprof_profile_copy(nil, 0, &header, nil, 0, nil, 0, nil, 0), 1, "sizes only")
        XCTAssertGreaterThanOrEqual(header.live_samples, UInt64(Self.liveBlocks))
        let copy = try measureCopy(bucketCapacity: Int(header.buckets) + 4096, pcCapacity: Int(header.pcs) + 65536)
        report("\(header.live_samples) live samples, \(header.buckets) buckets, \(header.pcs) return addresses")
        report(String(format: "sampler lock held per copy: min %.3f ms, median %.3f ms, max %.3f ms (20 copies)",
                      copy.min, copy.median, copy.max))

        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0)).get()
        defer { Task { await server.stop() } }
        // Baseline: the same probe with nobody copying, while two threads allocate and free
        // (many of their blocks sampled, so they take the lock too) and keep both cores busy.
        let idleProbe = LockProbe()
        idleProbe.start()
        let spinners = BusyThreads(count: 2, allocating: true)
        try await Task.sleep(for: .milliseconds(500))
        spinners.stop()
        let idleWait = idleProbe.stop()
        let probe = LockProbe()
        probe.start()
        var serveTimes: [Double] = []
        var lastProfile: Profile?
        let clock = ContinuousClock()
        for _ in 0..<4 {
            let start = clock.now
            let response = try RawHTTP.get(port: server.port, "/debug/pprof/heap")
            serveTimes.append(milliseconds(clock.now - start))
            XCTAssertEqual(response.status, 200)
            lastProfile = try Profile.parse(response.body)
        }
        let longestWait = probe.stop()
        // The legacy text once (its symbols are warm by now): megabytes of text, seconds in a
        // debug build.
        let textStart = clock.now
        let text = try RawHTTP.get(port: server.port, "/debug/pprof/heap?debug=1", timeout: 300)
        let textTime = milliseconds(clock.now - textStart)
        XCTAssertEqual(text.status, 200)
        XCTAssertTrue(text.text.hasPrefix("heap profile: "))
        report(String(format: "GET /debug/pprof/heap: first (symbolizer cold) %.1f ms, then %@ ms",
                      serveTimes[0], serveTimes.dropFirst().map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        report(String(format: "GET /debug/pprof/heap?debug=1 (legacy text, %.1f MB): %.1f ms", Double(text.body.count) / 1e6, textTime))
        report(String(format: "sampler lock waits while serving: longest %.3f ms, %d of %d over 1 ms; "
                      + "baseline with two allocating threads and no copying: longest %.3f ms, %d of %d over 1 ms",
                      longestWait.milliseconds, longestWait.overOneMillisecond, longestWait.count,
                      idleWait.milliseconds, idleWait.overOneMillisecond, idleWait.count))
        #if DEBUG
        report("debug build: C at -O0, Swift unoptimised; see the release figures in the closing note")
        #endif

        // The served profile holds exactly the samples: rate 1 counts, unbiased at the rate
        // in force (the profile's period), bucket by bucket as the builder does.
        let profile = try XCTUnwrap(lastProfile)
        // Buckets are (stack, usable size); glibc sometimes hands out a chunk 16 bytes larger
        // than asked, so count what each block really got.
        typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
        let usableSize = unsafeBitCast(dlsym(nil, "malloc_usable_size"), to: UsableSize.self)
        struct Bucket: Hashable { var path: Int, size: Int }
        var counts: [Bucket: Int] = [:]
        for i in 0..<Self.liveBlocks { counts[Bucket(path: i % Self.paths, size: usableSize(blocks[i])), default: 0] += 1 }
        var expected: Int64 = 0
        for (bucket, count) in counts {
            let scale = 1 / (1 - exp(-Double(bucket.size) / Double(profile.period)))
            expected += Int64(Double(count) * scale)
        }
        XCTAssertEqual(profile.total("inuse_objects", inFunction: "httpTestLiveSample"), expected)

        // Goals, with room for a loaded two-core machine and a debug build.
        XCTAssertLessThan(copy.median, 20, "lock hold per copy")
        XCTAssertLessThan(serveTimes.dropFirst().min()!, 5000, "warm serve time")
    }

    /// Times `memprof_profile_copy` into buffers that fit: the time the sampler lock is held.
    private func measureCopy(bucketCapacity: Int, pcCapacity: Int) throws -> (min: Double, median: Double, max: Double) {
        var buckets = [memprof_bucket_info](repeating: memprof_bucket_info(), count: bucketCapacity)
        var pcs = [UInt64](repeating: 0, count: pcCapacity)
        // This process's executable mappings are recorded too (for libraries unloaded later).
        var modules = [memprof_module](repeating: memprof_module(), count: 1024)
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<20 {
            var header = memprof_profile_header()
            let start = clock.now
            let rc = memprof_profile_copy(nil, 0, &header, &buckets, buckets.count, &pcs, pcs.count, &modules, modules.count)
            times.append(milliseconds(clock.now - start))
            XCTAssertEqual(rc, 0)
        }
        times.sort()
        return (times.first!, times[times.count / 2], times.last!)
    }
}

/// A thread that takes the sampler lock over and over (a header-only copy, as a sampled
/// allocation would take it) and records the longest time one acquisition took.
final class LockProbe: @unchecked Sendable {
    private let running = Atomic<Bool>(true)
    private var longest: Duration = .zero
    private var count = 0
    private var slow = 0
    private var thread = pthread_t()

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let probe = Unmanaged<LockProbe>.fromOpaque(raw!).takeRetainedValue()
            let clock = ContinuousClock()
            var header = memprof_profile_header()
            while probe.running.load(ordering: .relaxed) {
                let start = clock.now
                _ = memprof_profile_copy(nil, 0, &header, nil, 0, nil, 0, nil, 0)
                let took = clock.now - start
                if took > probe.longest { probe.longest = took }
                if took > .milliseconds(1) { probe.slow += 1 }
                probe.count += 1
                usleep(50)
            }
            return nil
        }, box)
    }

    func stop() -> (milliseconds: Double, count: Int, overOneMillisecond: Int) {
        running.store(false, ordering: .relaxed)
        pthread_join(thread, nil)
        return (milliseconds(longest), count, slow)
    }
}

/// Threads that keep cores busy, optionally allocating and freeing blocks of 1-64 KiB
/// (plain pthreads: spinning tasks would starve Swift's cooperative pool).
final class BusyThreads: @unchecked Sendable {
    private let running = Atomic<Bool>(true)
    private let allocating: Bool
    private var threads: [pthread_t] = []

    init(count: Int, allocating: Bool) {
        self.allocating = allocating
        for _ in 0..<count {
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                let busy = Unmanaged<BusyThreads>.fromOpaque(raw!).takeUnretainedValue()
                var x: UInt64 = 1
                while busy.running.load(ordering: .relaxed) {
                    for _ in 0..<100 {
                        x = x &* 6364136223846793005 &+ 1
                        if busy.allocating { free(malloc(1024 + Int(x >> 48))) }
                    }
                }
                return UnsafeMutableRawPointer(bitPattern: UInt(x | 1))
            }, Unmanaged.passUnretained(self).toOpaque())
            threads.append(thread)
        }
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        for thread in threads { pthread_join(thread, nil) }
    }
}
