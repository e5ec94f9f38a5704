import XCTest
@testable import MemprofProfile

/// The hand-written protobuf wire codec.
final class ProtoWireTests: XCTestCase {
    private func fields(_ bytes: [UInt8], maxNesting: Int = 8) throws -> [ProtoField] {
        try bytes.withUnsafeBufferPointer { buf in
            var r = ProtoReader(buf, start: 0, end: buf.count, maxNesting: maxNesting)
            var out: [ProtoField] = []
            while let f = try r.next() { out.append(f) }
            return out
        }
    }

    func testVarintEncoding() {
        let cases: [(UInt64, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7f]), (128, [0x80, 0x01]), (300, [0xac, 0x02]),
            (UInt64.max, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ]
        for (value, bytes) in cases {
            var w = ProtoWriter()
            w.varint(value)
            XCTAssertEqual(w.bytes, bytes, "\(value)")
            let decoded = bytes.withUnsafeBufferPointer { buf -> UInt64? in
                var r = ProtoReader(buf, start: 0, end: buf.count, maxNesting: 1)
                return try? r.readVarint()
            }
            XCTAssertEqual(decoded, value)
        }
    }

    /// A message's length goes into one byte when it fits and takes more bytes when it does
    /// not, also inside another message: lengths around each varint size, nested.
    func testMessageLengthsOfEverySize() throws {
        for size in [0, 1, 126, 127, 128, 129, 300, 16_383, 16_384, 16_385, 2_097_151, 2_097_152] {
            var w = ProtoWriter()
            w.uint64(1, 7)
            w.message(2) { w in
                w.message(3) { w in
                    w.bytes.append(contentsOf: repeatElement(0x2a, count: size))
                }
                w.uint64(4, 9)
            }
            w.uint64(5, 11)
            var expected: [UInt8] = [0x08, 0x07, 0x12]
            var inner: [UInt8] = [0x1a]
            var v = ProtoWriter()
            v.varint(UInt64(size))
            inner += v.bytes + [UInt8](repeating: 0x2a, count: size) + [0x20, 0x09]
            var outer = ProtoWriter()
            outer.varint(UInt64(inner.count))
            expected += outer.bytes + inner + [0x28, 0x0b]
            XCTAssertEqual(w.bytes, expected, "body of \(size) bytes")
            let top = try fields(w.bytes)
            XCTAssertEqual(top.map(\.number), [1, 2, 5])
            XCTAssertEqual(top[1].end - top[1].start, inner.count)
        }
    }

    func testNegativeInt64IsTenBytes() throws {
        var w = ProtoWriter()
        w.int64(2, -1)
        XCTAssertEqual(w.bytes, [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        let f = try fields(w.bytes)
        XCTAssertEqual(Int64(bitPattern: f[0].value), -1)
    }

    func testPackingFollowsPprof() {
        var w = ProtoWriter()
        w.uint64s(1, [1, 2])  // two or fewer: unpacked
        XCTAssertEqual(w.bytes, [0x08, 0x01, 0x08, 0x02])
        w = ProtoWriter()
        w.uint64s(1, [1, 2, 300])  // more: packed
        XCTAssertEqual(w.bytes, [0x0a, 0x04, 0x01, 0x02, 0xac, 0x02])
        w = ProtoWriter()
        w.uint64Opt(3, 0)
        w.int64Opt(4, 0)
        w.boolOpt(5, false)
        XCTAssertEqual(w.bytes, [])
    }

    func testNestedMessageLengthPrefix() {
        var w = ProtoWriter()
        w.message(2) { w in
            w.message(3) { w in w.string(1, String(repeating: "x", count: 200)) }
        }
        // 2: len 206 { 3: len 203 { 1: len 200 "xx..." } }, lengths of two bytes each
        XCTAssertEqual(Array(w.bytes.prefix(9)), [0x12, 0xce, 0x01, 0x1a, 0xcb, 0x01, 0x0a, 0xc8, 0x01])
        XCTAssertEqual(w.bytes.count, 3 + 3 + 3 + 200)
    }

    /// The same sample written packed, unpacked, mixed, and with unknown fields of every wire
    /// type (and a group) in between decodes identically.
    func testPackedUnpackedAndUnknownFields() throws {
        func profileBytes(_ sampleBody: [UInt8]) -> [UInt8] {
            var w = ProtoWriter()
            w.message(1) { w in w.int64(1, 1); w.int64(2, 2) }  // sample type "objects"/"count"
            w.bytes += [0x12, UInt8(sampleBody.count)] + sampleBody
            w.message(4) { w in w.uint64(1, 5) }
            w.message(4) { w in w.uint64(1, 6) }
            w.message(4) { w in w.uint64(1, 7) }
            w.string(6, "")
            w.string(6, "objects")
            w.string(6, "count")
            return w.bytes
        }
        let packed: [UInt8] = [0x0a, 0x03, 5, 6, 7, 0x12, 0x01, 42]
        let unpacked: [UInt8] = [0x08, 5, 0x08, 6, 0x08, 7, 0x10, 42]
        let mixed: [UInt8] = [0x08, 5, 0x0a, 0x02, 6, 7, 0x10, 42]
        let unknown: [UInt8] = [0x08, 5,
                                0xf8, 0x01, 0x99, 0x01,  // field 31 varint
                                0x79, 1, 2, 3, 4, 5, 6, 7, 8,  // field 15 fixed64
                                0x7d, 1, 2, 3, 4,  // field 15 fixed32
                                0x72, 0x02, 0xff, 0xff,  // field 14 bytes
                                0x6b, 0x08, 0x01, 0x73, 0x74, 0x6c,  // group 13 { 1: 1, group 14 {} }
                                0x0a, 0x02, 6, 7, 0x10, 42]
        var results: [Profile] = []
        for body in [packed, unpacked, mixed, unknown] {
            results.append(try Profile.parse(profileBytes(body)))
        }
        XCTAssertEqual(results[0].samples, [Sample(locationIDs: [5, 6, 7], values: [42])])
        for p in results.dropFirst() { XCTAssertEqual(p, results[0]) }
    }

    func testWireErrorsSayWhere() {
        func message(_ bytes: [UInt8]) -> String {
            do {
                _ = try fields(bytes, maxNesting: 3)
                return "no error"
            } catch let error as ProfileError {
                return error.message
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(message([0x08, 0x80]), "truncated varint at byte 1")
        XCTAssertEqual(message([0x08] + Array(repeating: 0xff, count: 10) + [0x01]), "varint longer than 64 bits at byte 1")
        XCTAssertEqual(message([0x32, 0x05, 0x61]), "length 5 of field 6 exceeds the 1 bytes remaining at byte 1")
        XCTAssertEqual(message([0x00, 0x01]), "invalid field number 0 at byte 0")
        XCTAssertEqual(message([0x0e, 0x01]), "invalid wire type 6 of field 1 at byte 0")
        XCTAssertEqual(message([0x0c]), "unexpected end of group 1 at byte 0")
        XCTAssertEqual(message([0x09, 1, 2]), "truncated 64-bit value of field 1 at byte 0")
        XCTAssertEqual(message([0x0b, 0x0b, 0x0b, 0x0b]), "groups nested deeper than 3 at byte 3")
        XCTAssertEqual(message([0x0b, 0x14]), "end of group 2 inside group 1 at byte 1")
        XCTAssertEqual(message([0x0b, 0x08, 0x01]), "unterminated group 1 at byte 0")
    }
}
