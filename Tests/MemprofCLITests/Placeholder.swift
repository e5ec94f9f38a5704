import XCTest
final class MemprofCLITestsPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
