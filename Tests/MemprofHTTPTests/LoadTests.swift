import Foundation
import Memprof
import MemprofProfile
import Synchronization
import XCTest
@testable import MemprofHTTP

/// Many concurrent scrapes over loopback while the process allocates on several threads,
/// bounded in count and time: every response complete and valid, the allocation counts of
/// the allocating threads exact, nothing crashes.
final class LoadTests: XCTestCase {
    static let clients = 8
    static let requestsPerClient = 8
    static let routes = ["/debug/pprof/heap", "/debug/pprof/allocs", "/debug/memstats", "/metrics",
                         "/debug/pprof/heap?debug=1", "/debug/pprof/allocs"]

    func testConcurrentScrapesWhileAllocating() async throws {
        let server = try await MemprofServer.start(.init(
            host: "127.0.0.1", port: 0,
            handler: .init(profileWaitTimeout: .seconds(60), maxWaitingProfiles: 2 * Self.clients))).get()
        let port = server.port
        let allocators = ExactAllocators(threads: 3)
        let clock = ContinuousClock()
        let start = clock.now
        let failures = Mutex<[String]>([])
        let served = Mutex<[String: Int]>([:])
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<Self.clients {
                group.addTask {
                    // A thread of its own: the client blocks on its socket.
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread.detachNewThread {
                            for i in 0..<Self.requestsPerClient {
                                let route = Self.routes[(client + i) % Self.routes.count]
                                do {
                                    let response = try RawHTTP.get(port: port, route, timeout: 150)
                                    try Self.validate(response, route: route)
                                    served.withLock { $0[route, default: 0] += 1 }
                                } catch {
                                    failures.withLock { $0.append("\(route): \(error)") }
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
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(served.withLock { $0.values.reduce(0, +) }, Self.clients * Self.requestsPerClient)
        XCTAssertEqual(rounds.mismatches, [], "per-thread counts must stay exact")
        XCTAssertGreaterThan(rounds.count, 0)
        XCTAssertLessThan(elapsed, .seconds(400), "bounded in time")
        report(String(format: "load: %d requests by %d clients in %.1f s while 3 threads did %d exact rounds of 1,000 mallocs and frees",
                      Self.clients * Self.requestsPerClient, Self.clients, milliseconds(elapsed) / 1000, rounds.count))
        // Still serving afterwards.
        XCTAssertEqual(try RawHTTP.get(port: port, "/debug/pprof/cmdline").status, 200)
        await server.stop()
    }

    static func validate(_ response: RawHTTPResponse, route: String) throws {
        guard response.status == 200 else {
            throw RawHTTPError(description: "status \(response.status): \(response.text)")
        }
        switch route {
        case "/debug/pprof/heap", "/debug/pprof/allocs":
            let profile = try Profile.parse(response.body)
            guard profile.sampleTypes == HeapProfile.sampleTypes,
                  profile.defaultSampleType == (route.hasSuffix("allocs") ? "alloc_space" : "inuse_space") else {
                throw RawHTTPError(description: "unexpected profile header")
            }
        case "/debug/pprof/heap?debug=1":
            let text = response.text
            guard text.hasPrefix("heap profile: "), text.hasSuffix("\n"), text.contains("\n# TotalRequested = ") else {
                throw RawHTTPError(description: "incomplete legacy text")
            }
        case "/debug/memstats":
            let document = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            guard let stats = document?["memstats"] as? [String: Any], let mallocs = stats["mallocs"] as? Int,
                  let frees = stats["frees"] as? Int, mallocs >= frees, document?["process"] as? [String: Any] != nil else {
                throw RawHTTPError(description: "bad memstats document")
            }
        default:
            guard try parsePrometheus(response.text).values["memprof_mallocs_total"] != nil else {
                throw RawHTTPError(description: "metrics without memprof_mallocs_total")
            }
        }
    }
}

/// Threads doing rounds of exactly 1,000 mallocs and 1,000 frees, each round checked against
/// the calling thread's own exact counters.
final class ExactAllocators: @unchecked Sendable {
    private let running = Atomic<Bool>(true)
    private let rounds = Atomic<Int>(0)
    private let problems = Mutex<[String]>([])
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    init(threads count: Int) {
        for index in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                let blocks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1000)
                defer { blocks.deallocate() }
                var seed = UInt64(index + 1)
                while running.load(ordering: .relaxed) {
                    var requested: UInt64 = 0
                    let before = AllocationCounters.readCurrentThread()
                    for i in 0..<1000 {
                        seed = seed &* 6364136223846793005 &+ 1442695040888963407
                        let size = 16 + Int(seed >> 52)  // 16 ..< 4112 bytes
                        requested += UInt64(size)
                        blocks[i] = malloc(size)
                    }
                    for i in 0..<1000 { free(blocks[i]) }
                    let delta = AllocationCounters.readCurrentThread().since(before)
                    if delta.allocations != 1000 || delta.frees != 1000 || delta.requestedBytes != requested {
                        problems.withLock { $0.append("thread \(index): \(delta)") }
                    }
                    rounds.wrappingAdd(1, ordering: .relaxed)
                    usleep(500)  // steady allocation without taking both cores from the server
                }
                finished.leave()
            }
            thread.start()
            threads.append(thread)
        }
    }

    func stop() -> (count: Int, mismatches: [String]) {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return (rounds.load(ordering: .relaxed), problems.withLock { $0 })
    }
}
