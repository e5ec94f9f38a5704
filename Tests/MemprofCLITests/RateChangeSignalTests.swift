import Foundation
import XCTest

/// Leaving rate 1 locks every shard of the live table while the sample filter is counted
/// again. A signal handler that allocates and frees on that thread meanwhile must not wait for
/// the locks its own thread holds: it is counted without the table, as during a sample.
final class RateChangeSignalTests: XCTestCase {
    func testAllocatingHandlerDuringARateChangeDoesNotHang() throws {
        // 300 rate changes, with SIGUSR1 sent every 20 us and let in only during the changes.
        // Before the guard, 3 runs of 3 hung; it takes well under a second.
        let r = try runProgram(product("memprof-workload-linked"), ["rate-signals", "300"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("ok 300 rounds, "), r.stdout)
        let handled = Int(r.stdout.split(separator: " ")[3]) ?? 0
        XCTAssertGreaterThan(handled, 300, "the handler must run during the changes: \(r.stdout)")
    }
}
