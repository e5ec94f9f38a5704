import XCTest
final class MemprofTestsPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
