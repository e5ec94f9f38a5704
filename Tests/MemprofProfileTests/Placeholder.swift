import XCTest
final class MemprofProfileTestsPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
