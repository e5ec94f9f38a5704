import Glibc
import XCTest

@testable import Memprof

/// `Memprof.releaseFreeMemory()` gives freed malloc memory back to the kernel.
final class MemoryReleaseTests: XCTestCase {
    func testReleaseAfterFreeingAMillionSmallObjects() throws {
        let count = 1_000_000
        // The pointer table is one large block: malloc maps it separately and unmaps it at
        // free, so it does not count towards what the trim returns.
        let table = try XCTUnwrap(malloc(count * MemoryLayout<UnsafeMutableRawPointer?>.stride))
            .bindMemory(to: UnsafeMutableRawPointer?.self, capacity: count)
        defer { free(table) }
        for index in 0..<count {
            table[index] = malloc(64)
            table[index]!.storeBytes(of: index, as: Int.self)
        }
        let withObjects = Memprof.currentResidentBytes()
        for index in 0..<count { free(table[index]) }
        let afterFree = Memprof.currentResidentBytes()
        // glibc keeps the freed chunks: RSS hardly moves before the trim (1M x 80-byte chunks).
        XCTAssertGreaterThan(afterFree, withObjects - (10 << 20))

        let release = Memprof.releaseFreeMemory()
        XCTAssertTrue(release.trimmed)
        XCTAssertGreaterThan(release.releasedBytes, 30_000_000, "\(release)")
        XCTAssertEqual(release.releasedBytes, release.residentBytesBefore - release.residentBytesAfter)
        XCTAssertEqual(Double(release.residentBytesBefore), Double(afterFree), accuracy: Double(4 << 20))
        // The kernel agrees: RSS read independently is at most what the release reported.
        let now = try ProcessMemory.read()
        XCTAssertLessThan(now.residentBytes, release.residentBytesBefore - 30_000_000)
        XCTAssertGreaterThan(release.duration, .zero)
        XCTAssertLessThan(release.duration, .seconds(2))
        XCTAssertTrue(release.description.hasPrefix("released "), release.description)
        XCTAssertTrue(release.description.hasSuffix(" ms"), release.description)
    }

    func testReleaseWithNothingToGiveBackStillReports() {
        _ = Memprof.releaseFreeMemory()
        let second = Memprof.releaseFreeMemory()
        XCTAssertGreaterThan(second.residentBytesBefore, 0)
        XCTAssertGreaterThan(second.residentBytesAfter, 0)
        XCTAssertLessThan(abs(second.releasedBytes), 8 << 20, "\(second)")
    }

    func testCurrentResidentBytesMatchesStatus() throws {
        // Reading status mallocs, and glibc may trim its heap right then: bracket the read.
        let before = Memprof.currentResidentBytes()
        let status = try ProcessMemory.read().residentBytes
        let after = Memprof.currentResidentBytes()
        XCTAssertGreaterThan(before, 1 << 20)
        XCTAssertGreaterThanOrEqual(status, min(before, after) - (1 << 20), "\(before) \(status) \(after)")
        XCTAssertLessThanOrEqual(status, max(before, after) + (1 << 20), "\(before) \(status) \(after)")
    }

    func testDescription() {
        let release = MemoryRelease(residentBytesBefore: 110 << 20, residentBytesAfter: 34 << 20,
                                    trimmed: true, duration: .microseconds(9_140))
        XCTAssertEqual(release.releasedBytes, 76 << 20)
        XCTAssertEqual(release.description, "released 76.0 MiB (RSS 110.0 MiB -> 34.0 MiB) in 9.1 ms")
    }
}
