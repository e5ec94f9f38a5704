import Foundation
import Memprof
import MemprofProfile
import Synchronization
import XCTest
@testable import MemprofHTTP

/// A burst of scrapes of one profile while the program allocates, with the default limits:
/// requests that arrive while a build is under way share it, so none is turned away.
final class ConcurrentScrapeTests: XCTestCase {
    static let requests = 100
    static let inFlight = 25

    func testHundredScrapesTwentyFiveInFlightAllGetAValidProfile() async throws {
        let server = try await MemprofServer.start(.init(host: "127.0.0.1", port: 0)).get()
        let port = server.port
        let allocators = ExactAllocators(threads: 3)
        let next = Atomic<Int>(0)
        let statuses = Mutex<[Int: Int]>([:])
        let failures = Mutex<[String]>([])
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<Self.inFlight {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread.detachNewThread {
                            while next.wrappingAdd(1, ordering: .relaxed).oldValue < Self.requests {
                                do {
                                    let response = try RawHTTP.get(port: port, "/debug/pprof/allocs", timeout: 120)
                                    statuses.withLock { $0[response.status, default: 0] += 1 }
                                    try LoadTests.validate(response, route: "/debug/pprof/allocs")
                                    let profile = try Profile.parse(response.body)
                                    if profile.samples.isEmpty { throw RawHTTPError(description: "no samples") }
                                } catch {
                                    failures.withLock { $0.append("\(error)") }
                                }
                            }
                            done.resume()
                        }
                    }
                }
            }
        }
        let elapsed = clock.now - start
        let rounds = allocators.stop()
        report(String(format: "concurrent scrapes: %d of /debug/pprof/allocs, %d in flight, in %.1f s: statuses %@",
                      Self.requests, Self.inFlight, milliseconds(elapsed) / 1000,
                      "\(statuses.withLock { $0 })"))
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(statuses.withLock { $0 }, [200: Self.requests])
        XCTAssertEqual(rounds.mismatches, [])
        XCTAssertEqual(server.handler.state.sharedBuilds.inProgress, 0, "no build left behind")
        // Still serving afterwards.
        XCTAssertEqual(try RawHTTP.get(port: port, "/debug/pprof/cmdline").status, 200)
        await server.stop()
    }

    /// Callers with the same key get one build; a later caller starts a new one.
    func testSameKeySharesOneBuildAndLaterRequestsBuildAgain() async throws {
        let shared = SharedBuilds()
        let builds = Atomic<Int>(0)
        let build: @Sendable () async -> MemprofResponse = {
            builds.wrappingAdd(1, ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(300))
            return .text("built")
        }
        let responses = await withTaskGroup(of: MemprofResponse.self) { group in
            for _ in 0..<20 { group.addTask { await shared.response(for: "allocs", build) } }
            var all: [MemprofResponse] = []
            for await response in group { all.append(response) }
            return all
        }
        XCTAssertEqual(responses.count, 20)
        XCTAssertTrue(responses.allSatisfy { $0.status == 200 && $0.body == Array("built".utf8) })
        XCTAssertEqual(builds.load(ordering: .relaxed), 1)
        _ = await shared.response(for: "allocs", build)
        _ = await shared.response(for: "heap", build)
        XCTAssertEqual(builds.load(ordering: .relaxed), 3)
        XCTAssertEqual(shared.inProgress, 0)
    }
}
