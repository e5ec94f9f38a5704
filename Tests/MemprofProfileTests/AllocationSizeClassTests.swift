@testable import MemprofProfile
import XCTest

/// The size grid of serving buffers: a buffer's capacity repeats while its content drifts.
final class AllocationSizeClassTests: XCTestCase {
    func testClassesHoldTheCountWithAtMostOneEighthSlack() {
        var classes = Set<Int>()
        for count in Array(0...5000) + stride(from: 5000, through: 50_000_000, by: 7919).map({ $0 }) {
            let capacity = AllocationSizeClass.capacity(atLeast: count)
            XCTAssertGreaterThanOrEqual(capacity, count)
            if count > 128 { XCTAssertLessThanOrEqual(Double(capacity - count), Double(count) / 8, "\(count)") }
            XCTAssertEqual(AllocationSizeClass.capacity(atLeast: capacity), capacity, "a class is its own class")
            XCTAssertEqual(AllocationSizeClass.floor(capacity), capacity)
            XCTAssertLessThanOrEqual(AllocationSizeClass.floor(count), count)
            if count >= 16 { classes.insert(capacity) }
        }
        // Eight classes per power of two: from 16 bytes to 50 MB, about 8 x 22 classes.
        XCTAssertLessThan(classes.count, 8 * 23 + 8)
    }

    /// A buffer grown with `reserveOnGrid` has capacities on the grid whatever malloc's
    /// slack, and doubles from the class below: the same appends give the same sizes.
    func testGrowingOnTheGridRepeatsItsSizes() {
        func growth(_ pieces: [Int]) -> [Int] {
            var bytes: [UInt8] = []
            var sizes: [Int] = []
            for piece in pieces {
                bytes.reserveOnGrid(adding: piece)
                if sizes.last != bytes.capacity { sizes.append(bytes.capacity) }
                bytes.append(contentsOf: repeatElement(1, count: piece))
            }
            return sizes.map { AllocationSizeClass.floor($0) }
        }
        let a = growth(Array(repeating: 37, count: 100_000))
        let b = growth(Array(repeating: 37, count: 100_000) + [5])
        XCTAssertEqual(a, Array(b.prefix(a.count)))
        for (smaller, larger) in zip(a, a.dropFirst()) { XCTAssertEqual(larger, 2 * smaller) }
    }
}
