import Foundation
import MemprofSymbolication
import XCTest

/// Truncated, garbage and corrupted files must give errors or empty answers, never crashes
/// or hangs: the symbolizer runs inside production processes.
final class HostileELFTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestSupport.makeTemporaryDirectory("hostile")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testMissingEmptyAndGarbageFilesThrowClearErrors() throws {
        XCTAssertThrowsError(try BinaryInfo.inspect(path: directory + "/missing")) { error in
            guard case SymbolicationError.cannotOpen(_, let code) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, ENOENT)
        }
        XCTAssertThrowsError(try BinaryInfo.inspect(path: directory)) { error in
            guard case SymbolicationError.cannotOpen = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try BinaryInfo.inspect(path: try write([], "empty"))) { error in
            XCTAssertEqual(error as? SymbolicationError, .notELF(path: directory + "/empty"))
        }
        var generator = SplitMix(seed: 42)
        for n in [1, 15, 16, 63, 64, 65, 4096, 100_000] {
            let garbage = (0..<n).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            XCTAssertThrowsError(try BinaryInfo.inspect(path: try write(garbage, "garbage\(n)")))
            XCTAssertEqual(Symbolizer(file: directory + "/garbage\(n)").symbolize(0x1000), [])
        }
    }

    func testGarbageAfterAValidMagicNeverCrashes() throws {
        var generator = SplitMix(seed: 7)
        for round in 0..<300 {
            var bytes = (0..<(64 + round * 37)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            bytes.replaceSubrange(0..<6, with: [0x7f, 0x45, 0x4c, 0x46, 2, 1])
            let path = try write(bytes, "fuzz\(round)")
            _ = try? BinaryInfo.inspect(path: path)
            let symbolizer = Symbolizer(file: path)
            _ = symbolizer.symbolize(Array(stride(from: UInt64(0), to: 4096, by: 512)))
        }
    }

    func testUnsupportedELFKindsAreNamed() throws {
        var header = [UInt8](repeating: 0, count: 64)
        header.replaceSubrange(0..<6, with: [0x7f, 0x45, 0x4c, 0x46, 1, 1])
        XCTAssertThrowsError(try BinaryInfo.inspect(path: try write(header, "elf32"))) { error in
            guard case SymbolicationError.unsupportedELF(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("32-bit"), reason)
            XCTAssertTrue("\(error)".contains("unsupported ELF file"), "\(error)")
        }
        header[4] = 2
        header[5] = 2
        XCTAssertThrowsError(try BinaryInfo.inspect(path: try write(header, "elfbe"))) { error in
            guard case SymbolicationError.unsupportedELF(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("big-endian"), reason)
        }
    }

    func testTruncatedCopiesOfARealBinaryNeverCrash() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestSupport.workloadBinary("swift-dwarf5"))))
        let full = try BinaryInfo.inspect(path: TestSupport.workloadBinary("swift-dwarf5"))
        XCTAssertGreaterThan(full.symbolCount, 100)
        XCTAssertGreaterThanOrEqual(full.compileUnitCount, 2, "main.swift and Helper.swift at least")
        XCTAssertEqual(full.buildID.count, 40)
        var lengths = [1, 16, 63, 64, 100, 1000, 4096]
        lengths += stride(from: 8192, to: original.count, by: max(original.count / 40, 1)).map { $0 }
        lengths.append(original.count - 1)
        var errors = 0
        for n in lengths {
            let path = try write(Array(original[0..<n]), "truncated\(n)")
            do { _ = try BinaryInfo.inspect(path: path) } catch { errors += 1 }
            let symbolizer = Symbolizer(file: path)
            _ = symbolizer.symbolize(Array(stride(from: UInt64(0x3000), to: 0xc000, by: 97)))
        }
        print("[hostile] \(lengths.count) truncated copies, \(errors) rejected with an error, none crashed")
        // The section header table sits at the end of the file, so every truncation loses it.
        XCTAssertEqual(errors, lengths.count)
    }

    /// Random bytes written over the DWARF sections (and the section header table) of a
    /// real binary: lookups may return less, but must return.
    func testCorruptedDebugSectionsNeverCrashOrHang() throws {
        for kind in ["swift-dwarf4", "swift-dwarf5", "swift-zlib"] {
            let binary = try TestSupport.workloadBinary(kind)
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: binary)))
            let sections = try debugSections(binary)
            XCTAssertGreaterThan(sections.count, 4)
            var generator = SplitMix(seed: 1234)
            let start = DispatchTime.now().uptimeNanoseconds
            for round in 0..<60 {
                var bytes = original
                for (offset, size) in sections where size > 0 {
                    let hits = round % 3 == 0 ? 1 : Int(size / 64) + 1
                    for _ in 0..<hits {
                        let at = offset + Int(generator.next() % UInt64(size))
                        bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                    }
                }
                let path = try write(bytes, "\(kind)-corrupt\(round)")
                _ = try? BinaryInfo.inspect(path: path)
                let symbolizer = Symbolizer(file: path)
                _ = symbolizer.symbolize(Array(stride(from: UInt64(0x3000), to: 0xc000, by: 131)))
                _ = symbolizer.symbolize(0x3000 + UInt64(round) * 131)
                try? FileManager.default.removeItem(atPath: path)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "[hostile] %@: 60 corrupted copies symbolized in %.2f s", kind, seconds))
        }
    }

    /// (file offset, size) of each `.debug_*` section, from readelf.
    private func debugSections(_ binary: String) throws -> [(Int, Int)] {
        let text = try TestSupport.run("/usr/bin/readelf", ["-S", "-W", binary])
        var result: [(Int, Int)] = []
        for line in text.split(separator: "\n") where line.contains(" .debug_") {
            let fields = line.split(separator: "]", maxSplits: 1).last?.split(separator: " ") ?? []
            guard fields.count >= 5, let off = Int(fields[3], radix: 16), let size = Int(fields[4], radix: 16) else { continue }
            result.append((off, size))
        }
        return result
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
