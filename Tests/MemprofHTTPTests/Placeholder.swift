import XCTest
final class MemprofHTTPPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
