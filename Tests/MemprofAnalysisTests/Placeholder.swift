import XCTest
final class MemprofAnalysisTestsPlaceholder: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
