import XCTest
@testable import MemprofProfile

/// Damaged and hostile input: every case must end in a `ProfileError`, quickly, never a crash.
final class HostileInputTests: XCTestCase {
    private let clock = ContinuousClock()

    /// Parses `bytes`; returns the error (nil if it parsed) and checks it took under a second.
    @discardableResult
    private func parse(_ bytes: [UInt8], limits: ParseLimits = .default, file: StaticString = #filePath,
                       line: UInt = #line) -> ProfileError? {
        var failure: ProfileError?
        let elapsed = clock.measure {
            do {
                let p = try Profile.parse(bytes, limits: limits)
                // Whatever parses must also survive our encoder and parse back the same.
                XCTAssertEqual(try Profile.parse(p.encoded(gzip: false), limits: limits), p, file: file, line: line)
            } catch let error as ProfileError {
                failure = error
                XCTAssertFalse(error.message.isEmpty, file: file, line: line)
                XCTAssertFalse(error.message.contains("\n"), "one-line message", file: file, line: line)
            } catch {
                XCTFail("not a ProfileError: \(error)", file: file, line: line)
            }
        }
        XCTAssertLessThan(elapsed, Duration.seconds(1), "parse took \(elapsed)", file: file, line: line)
        return failure
    }

    private func expectError(_ bytes: [UInt8], _ expected: String, limits: ParseLimits = .default,
                             file: StaticString = #filePath, line: UInt = #line) {
        let error = parse(bytes, limits: limits, file: file, line: line)
        XCTAssertEqual(error?.message, expected, file: file, line: line)
    }

    func testRandomMutationsOfFixtures() throws {
        var rng = SplitMix64(seed: 0x6d65_6d70_726f_66)
        var inputs: [[UInt8]] = []
        for name in Fixture.profiles {
            let gz = try Fixture.bytes(name)
            inputs.append(gz)
            inputs.append(try Gzip.decompress(gz, limit: 1 << 30))
        }
        var failures = 0, successes = 0
        for iteration in 0..<3000 {
            var bytes = inputs[iteration % inputs.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard !bytes.isEmpty else { break }
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: bytes.removeSubrange(i...)  // truncate
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                case 4: bytes.remove(at: i)
                default:  // splice in a hostile varint
                    bytes.insert(contentsOf: [0xff, 0xff, 0xff, 0xff, 0x0f], at: i)
                }
            }
            if parse(bytes) == nil { successes += 1 } else { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 1000)
        XCTAssertGreaterThan(successes, 10)  // some mutations only change values
    }

    func testRandomBytes() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<512, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if count >= 2 && Bool.random(using: &rng) { bytes[0] = 0x1f; bytes[1] = 0x8b }  // claim gzip
            parse(bytes)
        }
    }

    func testCraftedWireAttacks() {
        expectError([], "not a pprof profile: empty input")
        expectError([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], "varint longer than 64 bits at byte 1")
        expectError([0x0a, 0x02, 0x08], "length 2 of field 1 exceeds the 1 bytes remaining at byte 1")
        // A string claiming 1 GiB, and a length of 2^63.
        expectError([0x32, 0x80, 0x80, 0x80, 0x80, 0x04, 0x61], "length 1073741824 of field 6 exceeds the 1 bytes remaining at byte 1")
        expectError([0x32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                    "length 9223372036854775808 of field 6 exceeds the 0 bytes remaining at byte 1")
        expectError([0x12, 0x03, 0x0a, 0x05, 0x01], "length 5 of field 1 exceeds the 1 bytes remaining at byte 3")
        expectError(Array(repeating: 0x0b, count: 10_000), "groups nested deeper than 16 at byte 16")
    }

    func testCraftedModelAttacks() {
        var w = ProtoWriter()
        w.message(1) { w in w.int64(1, 5) }  // sample type name: string 5 of a 1-entry table
        expectError(w.bytes, "sample type 1 type refers to string 5, but the string table has 1 entries")

        w = ProtoWriter()
        w.message(5) { w in w.uint64(1, 1); w.int64(2, -1) }
        w.string(6, "")
        expectError(w.bytes, "name of function 1 refers to string -1, but the string table has 1 entries")

        w = ProtoWriter()
        w.string(6, "nope")
        expectError(w.bytes, "string table entry 0 must be empty, found \"nope\"")

        w = ProtoWriter()
        w.string(6, "")
        w.string(6, "x")
        w.message(1) { w in w.int64(1, 1); w.int64(2, 1) }
        w.message(4) { w in w.uint64(1, 7); w.message(4) { w in w.uint64(1, 99) } }
        expectError(w.bytes, "location 7 refers to missing function 99")

        w = ProtoWriter()
        w.message(1) { _ in }
        w.message(2) { w in w.uint64s(1, [3]); w.int64s(2, [1]) }
        expectError(w.bytes, "sample 1 refers to missing location 3")

        w = ProtoWriter()
        w.message(1) { _ in }
        w.message(2) { w in w.int64s(2, [1, 2]) }
        expectError(w.bytes, "sample 1 has 2 values but the profile has 1 sample types")

        w = ProtoWriter()
        w.message(3) { w in w.uint64(1, 2) }
        w.message(3) { w in w.uint64(1, 2) }
        expectError(w.bytes, "duplicate mapping ID 2")

        w = ProtoWriter()
        w.message(4) { w in w.uint64(1, 1); w.uint64(2, 9) }
        expectError(w.bytes, "location 1 refers to missing mapping 9")

        w = ProtoWriter()
        w.message(1) { w in w.uint64(1, 0) }
        w.int64(9, 1)
        w.int64(9, 2)
        expectError(w.bytes, "second time_nanos field (concatenated profiles?) at byte 6")

        w = ProtoWriter()
        w.uint64(1, 7)  // sample_type as a varint
        expectError(w.bytes, "sample_type field 1 has wire type 0, expected a message at byte 0")
    }

    /// Go's legacy texts are read (MemprofAnalysisTests.LegacyTextReadingTests); other text is
    /// named as text, its first line quoted.
    func testOtherTextIsNamed() throws {
        XCTAssertNil(parse(Array(try Fixture.text("heap-debug1.txt").utf8)))
        let error = parse(Array("heap profile, as a sentence: not a header\nmore\n".utf8))
        XCTAssertEqual(error?.kind, .notAProfile)
        XCTAssertEqual(error?.message,
                       "not a pprof profile: input is text (\"heap profile, as a sentence: not a heade…\"); only profile.proto and Go's text profiles are read")
    }

    func testLimits() throws {
        let heap = try Fixture.bytes("heap.pb.gz")
        // Offsets checked with an independent decoder (Python): the 4th sample type, the 6th
        // sample of allocs, the 11th string, the 6th location ID of heap's first sample.
        expectError(heap, "more than 3 sample types at byte 18", limits: ParseLimits(maxRecords: 3))
        expectError(try Fixture.bytes("allocs.pb.gz"), "more than 5 samples at byte 160", limits: ParseLimits(maxRecords: 5))
        expectError(heap, "string table has more than 10 entries at byte 922", limits: ParseLimits(maxStrings: 10))
        expectError(heap, "more than 5 location IDs in one sample at byte 33", limits: ParseLimits(maxRepeated: 5))
        expectError(heap, "gzip: decompressed size exceeds limit of 1 KiB", limits: ParseLimits(maxDecompressedBytes: 1024))
        let plain = try Gzip.decompress(heap, limit: 1 << 20)
        expectError(plain, "input of \(plain.count) bytes exceeds limit of 1 KiB", limits: ParseLimits(maxDecompressedBytes: 1024))
    }

    /// 64 MiB of zeros in a 64 KiB gzip member, then 100 such members: stopped at the limit.
    func testGzipBombs() throws {
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = try XCTUnwrap(Gzip.compress(zeros, level: 9))
        XCTAssertLessThan(bomb.count, 100_000)
        let limits = ParseLimits(maxDecompressedBytes: 16 << 20)
        expectError(bomb, "gzip: decompressed size exceeds limit of 16 MiB", limits: limits)
        let small = try XCTUnwrap(Gzip.compress([UInt8](repeating: 0, count: 1 << 20)))
        let members = Array((0..<100).map { _ in small }.joined())
        expectError(members, "gzip: decompressed size exceeds limit of 16 MiB", limits: limits)
    }

    func testCorruptGzip() throws {
        let heap = try Fixture.bytes("heap.pb.gz")
        XCTAssertEqual(parse(Array(heap.prefix(600)))?.message, "gzip: unexpected end of data at byte 600")
        var corrupt = heap
        corrupt[2] = 0x07  // compression method other than deflate
        XCTAssertEqual(parse(corrupt)?.kind, .gzip)
        XCTAssertEqual(parse(heap + [0x00, 0x01])?.kind, .gzip)  // garbage after the member
        XCTAssertEqual(parse([0x1f, 0x8b])?.message, "gzip: unexpected end of data at byte 2")
    }
}
