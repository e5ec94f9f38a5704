@testable import MemprofSymbolication
import XCTest

/// The abbreviation table read whole, and read only up to one code: the index of a unit's
/// code ranges reads each unit's table as far as its unit DIE's entry.
final class DWARFAbbrevTableTests: XCTestCase {
    // Three entries, codes 7, 1 and 300 (any order is valid DWARF), then the terminating 0.
    //   7:   DW_TAG_compile_unit, children, DW_AT_name/strp, DW_AT_low_pc/addr
    //   1:   DW_TAG_subprogram, no children, DW_AT_name/string
    //   300: DW_TAG_variable, no children, DW_AT_const_value/implicit_const -5
    private static let section: [UInt8] = [
        0x07, 0x11, 0x01, 0x03, 0x0e, 0x11, 0x01, 0x00, 0x00,
        0x01, 0x2e, 0x00, 0x03, 0x08, 0x00, 0x00,
        0xac, 0x02, 0x34, 0x00, 0x1c, 0x21, 0x7b, 0x00, 0x00,
        0x00,
    ]

    private func table(upTo code: UInt64?) throws -> DWARFAbbrevTable {
        try Self.section.withUnsafeBytes {
            try DWARFAbbrevTable(section: $0, offset: 0, addressSize: 8, offsetSize: 4, version: 5, upTo: code)
        }
    }

    func testWholeTable() throws {
        let whole = try table(upTo: nil)
        XCTAssertEqual(whole.abbrevs.count, 3)
        XCTAssertEqual(whole.index(of: 7), 0)
        XCTAssertEqual(whole.index(of: 1), 1)
        XCTAssertEqual(whole.index(of: 300), 2)
        XCTAssertEqual(whole.abbrevs[2].specs.first?.implicitConst, -5)
        XCTAssertNil(whole.index(of: 2))
    }

    func testTableReadUpToTheFirstEntry() throws {
        let first = try table(upTo: 7)
        XCTAssertEqual(first.abbrevs.count, 1, "read past the entry asked for")
        XCTAssertEqual(first.index(of: 7), 0)
        XCTAssertEqual(first.abbrevs[0].tag, 0x11)
        XCTAssertEqual(first.abbrevs[0].specs.map(\.attribute), [0x03, 0x11])
        XCTAssertNil(first.index(of: 1))
    }

    func testTableReadUpToALaterEntryHasTheEntriesBefore() throws {
        let two = try table(upTo: 1)
        XCTAssertEqual(two.abbrevs.count, 2)
        XCTAssertEqual(two.index(of: 1), 1)
        XCTAssertNil(two.index(of: 300))
    }

    func testACodeNotInTheTableReadsItWhole() throws {
        XCTAssertEqual(try table(upTo: 5).abbrevs.count, 3)
    }
}
