@testable import Memprof
import XCTest

final class TypeCensusNameTests: XCTestCase {
    func testPrivateContextsLoseTheirAddresses() {
        XCTAssertEqual(TypeCensus.readable("NIOPosix.(unknown context at $55a6a5131408).PendingStreamWrite"),
                       "NIOPosix.PendingStreamWrite")
        XCTAssertEqual(TypeCensus.readable("Swift._ContiguousArrayStorage<Swift.Optional<NIOPosix.(unknown context at $5626aacc9150).PendingStreamWrite>>"),
                       "Swift._ContiguousArrayStorage<Swift.Optional<NIOPosix.PendingStreamWrite>>")
        XCTAssertEqual(TypeCensus.readable("MyApp.Customer"), "MyApp.Customer")
    }

    func testCensusIsOffInAProcessThatDidNotAskForIt() {
        // The test process has threads with slots already: enabling now is refused, and the
        // census reads as empty.
        XCTAssertFalse(TypeCensus.isEnabled)
        XCTAssertFalse(TypeCensus.enable())
        XCTAssertFalse(TypeCensus.isEnabled)
        XCTAssertTrue(TypeCensus.read().types.isEmpty)
    }
}
