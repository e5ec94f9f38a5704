import Foundation
import Memprof
import MemprofProfile
import XCTest
@testable import MemprofHTTP

/// The profile routes called directly, without sockets or NIO.
final class ProfileRouteTests: XCTestCase {
    let handler = MemprofRequestHandler()

    func testHeapProfileIsGzippedProtoWithInuseDefault() async throws {
        let block = httpTestKeepEightMiB()
        defer { free(block) }
        let response = await handler.get("/debug/pprof/heap")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("Content-Type"), "application/octet-stream")
        XCTAssertEqual(response.header("Content-Disposition"), #"attachment; filename="heap""#)
        XCTAssertEqual(Array(response.body.prefix(2)), [0x1f, 0x8b], "gzip")
        let profile = try Profile.parse(response.body)
        XCTAssertEqual(profile.sampleTypes, HeapProfile.sampleTypes)
        // Named: with the temporaries after Go's four types, tools must not pick "the last".
        XCTAssertEqual(profile.defaultSampleType, "inuse_space")
        XCTAssertEqual(profile.period, HeapProfile.samplingRate)
        XCTAssertGreaterThanOrEqual(profile.total("inuse_space", inFunction: "httpTestKeepEightMiB"), 8 << 20)

        let allocs = await handler.get("/debug/pprof/allocs")
        XCTAssertEqual(allocs.header("Content-Disposition"), #"attachment; filename="allocs""#)
        let allocsProfile = try Profile.parse(allocs.body)
        XCTAssertEqual(allocsProfile.defaultSampleType, "alloc_space")
        XCTAssertGreaterThanOrEqual(allocsProfile.total("alloc_space", inFunction: "httpTestKeepEightMiB"), 8 << 20)

        // The heap at its peak: the 8 MiB block was live then too.
        let peak = await handler.get("/debug/pprof/peak")
        XCTAssertEqual(peak.status, 200, peak.text)
        XCTAssertEqual(peak.header("Content-Disposition"), #"attachment; filename="peak""#)
        let peakProfile = try Profile.parse(peak.body)
        XCTAssertEqual(peakProfile.defaultSampleType, "inuse_space")
        XCTAssertTrue(peakProfile.comments.contains { $0.contains("the heap at its peak") }, "\(peakProfile.comments)")
        let peakText = await handler.get("/debug/pprof/peak?debug=1")
        XCTAssertEqual(peakText.status, 200, peakText.text)
        XCTAssertTrue(peakText.text.hasPrefix("heap profile:"), peakText.text)
        let noDelta = await handler.get("/debug/pprof/peak?seconds=1")
        XCTAssertEqual(noDelta.status, 400, noDelta.text)
    }

    func testDebugOneIsGoLegacyText() async throws {
        let block = httpTestKeepEightMiB()
        defer { free(block) }
        let response = await handler.get("/debug/pprof/heap?debug=1")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=utf-8")
        let text = response.text
        XCTAssertTrue(text.hasPrefix("heap profile: "), String(text.prefix(80)))
        XCTAssertTrue(text.contains("@ heap/\(2 * HeapProfile.samplingRate)"), String(text.prefix(80)))
        XCTAssertTrue(text.contains("httpTestKeepEightMiB"))
        XCTAssertTrue(text.contains("\n# runtime.MemStats\n# Alloc = "))
        let two = await handler.get("/debug/pprof/allocs?debug=2")
        XCTAssertTrue(two.text.hasPrefix("heap profile: "))
    }

    func testBadQueryValuesGet400WithGoMessages() async {
        let cases: [(String, String)] = [
            ("debug=x", #"invalid value for "debug" - must be 0, 1 or 2"#),
            ("debug=3", #"invalid value for "debug" - must be 0, 1 or 2"#),
            ("debug=1234567890123", #"invalid value for "debug" - must be 0, 1 or 2"#),
            ("gc=yes", #"invalid value for "gc" - must be a non-negative integer"#),
            ("gc=-1", #"invalid value for "gc" - must be a non-negative integer"#),
            ("seconds=0", #"invalid value for "seconds" - must be a positive integer"#),
            ("seconds=-5", #"invalid value for "seconds" - must be a positive integer"#),
            ("seconds=1.5", #"invalid value for "seconds" - must be a positive integer"#),
            ("seconds=301", "profile duration exceeds the server's limit of 300 seconds"),
            ("seconds=5&debug=1", "seconds and debug params are incompatible"),
            ("debug=%zz", "invalid percent escape in query"),
            ("debug=%ff", "query is not valid UTF-8"),
            (String(repeating: "a=b&", count: 300), "query too long (more than 1024 bytes)"),
            (String(repeating: "a&", count: 40), "too many query parameters (more than 32)"),
        ]
        for (query, message) in cases {
            let response = await handler.get("/debug/pprof/heap?" + query)
            XCTAssertEqual(response.status, 400, query)
            XCTAssertEqual(response.text, message + "\n", query)
            XCTAssertEqual(response.header("X-Go-Pprof"), "1")
        }
        // Unknown parameters, empty values and escapes that decode to good values are fine.
        let fine = await handler.get("/debug/pprof/heap?debug=%31&seconds=&gc=&other=x")
        XCTAssertEqual(fine.status, 200)
        XCTAssertTrue(fine.text.hasPrefix("heap profile: "))
    }

    func testDeltaProfileIsLaterMinusEarlier() async throws {
        let before = httpTestKeepEightMiB()
        defer { free(before) }
        let handler = MemprofRequestHandler(configuration: .init(maxDeltaSeconds: 2))
        // The baseline is taken when the request starts; 1 s leaves a loaded machine time
        // to start it before the block is allocated, and another second to allocate it.
        async let response = handler.get("/debug/pprof/heap?seconds=2")
        try await Task.sleep(for: .milliseconds(1000))
        let during = httpTestKeepEightMiBLater()
        defer { free(during) }
        let delta = await response
        XCTAssertEqual(delta.status, 200, delta.text)
        XCTAssertEqual(delta.header("Content-Disposition"), #"attachment; filename="heap-delta""#)
        let profile = try Profile.parse(delta.body)
        // Allocated inside the window: in the delta. Kept from before: cancelled out.
        XCTAssertGreaterThanOrEqual(profile.total("inuse_space", inFunction: "httpTestKeepEightMiBLater"), 8 << 20)
        XCTAssertGreaterThanOrEqual(profile.total("alloc_space", inFunction: "httpTestKeepEightMiBLater"), 8 << 20)
        XCTAssertEqual(profile.total("inuse_space", inFunction: "httpTestKeepEightMiB()"), 0)
        // The later snapshot's notes on the profiler's own memory, not both snapshots' figures.
        for note in ["[memprof: own work] is", "[memprof: symbol tables] is"] {
            XCTAssertLessThanOrEqual(profile.comments.filter { $0.contains(note) }.count, 1, "\(profile.comments)")
        }
        XCTAssertGreaterThanOrEqual(profile.durationNanos, 2_000_000_000)
        XCTAssertLessThan(profile.durationNanos, 10_000_000_000)
        let allocs = await handler.get("/debug/pprof/allocs?seconds=1")
        XCTAssertEqual(try Profile.parse(allocs.body).defaultSampleType, "alloc_space")
        let tooLong = await handler.get("/debug/pprof/allocs?seconds=3")
        XCTAssertEqual(tooLong.status, 400)
    }

    func testGcOneGivesFreeMemoryBackFirst() async throws {
        // Free ~64 MiB of small blocks: glibc keeps them resident until malloc_trim.
        var blocks: [UnsafeMutableRawPointer?] = []
        for _ in 0..<131_072 { blocks.append(memset(malloc(480), 3, 480)) }
        for block in blocks { free(block) }
        let released = MemStats.read().heapReleased
        let response = await handler.get("/debug/pprof/heap?gc=1")
        XCTAssertEqual(response.status, 200)
        XCTAssertNoThrow(try Profile.parse(response.body))
        let after = MemStats.read().heapReleased
        XCTAssertGreaterThan(after, released + (32 << 20), "gc=1 should have trimmed the freed 64 MiB")
    }

    func testProfilesAreBuiltOneAtATimeAndRefusedWhenBusy() async throws {
        // The waiting request must still wait when the next one comes: 2 s, for a loaded machine.
        let busy = MemprofRequestHandler(configuration: .init(profileWaitTimeout: .seconds(2), maxWaitingProfiles: 1))
        let holder = await busy.state.gate.acquire(timeout: .seconds(1))
        XCTAssertEqual(holder, .acquired)
        async let waiting = busy.get("/debug/pprof/heap")
        let clock = ContinuousClock(), deadline = clock.now + .seconds(30)
        while busy.state.gate.waiting == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(busy.state.gate.waiting, 1, "the request never waited")
        let full = await busy.get("/debug/pprof/allocs")
        XCTAssertEqual(full.status, 429)
        XCTAssertEqual(full.header("Retry-After"), "1")
        let timedOut = await waiting
        XCTAssertEqual(timedOut.status, 503)
        XCTAssertEqual(timedOut.header("Retry-After"), "1")
        // Other routes do not wait for the gate.
        let status6 = await busy.get("/debug/memstats").status
        XCTAssertEqual(status6, 200)
        busy.state.gate.release()
        let status7 = await busy.get("/debug/pprof/heap").status
        XCTAssertEqual(status7, 200)

        // Concurrent requests within the limits all succeed, one after the other.
        let responses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<6 { group.addTask { await self.handler.get(i % 2 == 0 ? "/debug/pprof/heap" : "/debug/pprof/allocs").status } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(responses, Array(repeating: 200, count: 6))
    }
}
