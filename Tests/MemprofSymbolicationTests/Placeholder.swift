import XCTest
final class MemprofSymbolicationTestsPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
