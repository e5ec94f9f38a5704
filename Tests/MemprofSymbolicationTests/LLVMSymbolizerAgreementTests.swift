import Foundation
import MemprofSymbolication
import XCTest

/// Compares this module with `llvm-symbolizer --inlining` + `swift-demangle` on optimized
/// binaries built by the test: every frame's function name and file:line must agree for at
/// least 99% of 1,000 addresses.
final class LLVMSymbolizerAgreementTests: XCTestCase {
    struct Frame: Equatable, CustomStringConvertible {
        var function: String
        var file: String
        var line: Int
        var description: String { "\(function) @ \(file):\(line)" }
    }

    func testSwiftDWARF4AgreesWithLLVMSymbolizer() throws {
        try compare(kind: "swift-dwarf4", minimumAddresses: 1000)
    }

    func testSwiftDWARF5AgreesWithLLVMSymbolizer() throws {
        try compare(kind: "swift-dwarf5", minimumAddresses: 1000)
    }

    func testCompressedDebugSectionsAgreeWithLLVMSymbolizer() throws {
        let binary = try TestSupport.workloadBinary("swift-zlib")
        let info = try BinaryInfo.inspect(path: binary)
        XCTAssertTrue(info.hasCompressedDebugSections, "the linker did not compress the debug sections")
        XCTAssertGreaterThanOrEqual(info.compileUnitCount, 2)
        try compare(kind: "swift-zlib", minimumAddresses: 1000)
    }

    func testCDWARF5AgreesWithLLVMSymbolizer() throws {
        try compare(kind: "c-dwarf5", minimumAddresses: 50)
    }

    /// A gcc unit indexed from `.debug_aranges` next to a clang unit that has no set there
    /// (indexed from its unit DIE): both units' addresses must agree.
    func testUnitsWithAndWithoutAddressRangesAgreeWithLLVMSymbolizer() throws {
        let binary = try TestSupport.workloadBinary("c-mixed")
        let aranges = try TestSupport.run("/usr/bin/readelf", ["--debug-dump=aranges", binary])
        let sets = aranges.components(separatedBy: "Offset into .debug_info").count - 1
        XCTAssertGreaterThanOrEqual(try BinaryInfo.inspect(path: binary).compileUnitCount, 2)
        XCTAssertEqual(sets, 1, "expected one unit with a .debug_aranges set (gcc's), one without: \(aranges)")
        let addresses = try pickAddresses(binary: binary, swift: false, count: 1000)
        let symbols = try TestSupport.run("/usr/bin/nm", [binary])
        XCTAssertTrue(symbols.contains("extra_checksum"), symbols)
        try compare(kind: "c-mixed", binary: binary, addresses: addresses, minimumAddresses: 50)
    }

    /// The test bundle itself: a debug build mixing Swift (DWARF 4) and C from clang (DWARF 5),
    /// 1,000 addresses spread evenly over its executable mappings.
    func testThisTestBundleAgreesWithLLVMSymbolizer() throws {
        let main = try XCTUnwrap(try Symbolizer().modules.first)
        let ranges = main.executableRanges
        let total = ranges.reduce(0) { $0 + $1.limit - $1.start }
        var addresses: [UInt64] = []
        for i in 0..<1000 {
            var offset = UInt64(i) * total / 1000
            for r in ranges {
                if offset < r.limit - r.start { addresses.append(main.fileAddress(of: r.start + offset)); break }
                offset -= r.limit - r.start
            }
        }
        try compare(kind: "test-bundle", binary: main.path, addresses: addresses, minimumAddresses: 1000)
    }

    /// libc as loaded in this process: symbols from `.dynsym`/`.symtab`, and gcc's DWARF 5
    /// from the detached debug file when libc6-dbg is installed (both tools find it by build ID).
    func testLibcAgreesWithLLVMSymbolizer() throws {
        let libc = try XCTUnwrap(try Symbolizer().modules.first { $0.path.contains("/libc.so") })
        let info = try BinaryInfo.inspect(path: libc.path)
        print("[libc] \(libc.path): \(info.symbolCount) symbols, \(info.compileUnitCount) DWARF units, "
              + "debug file: \(info.debugFile.isEmpty ? "none" : info.debugFile)")
        let span = libc.limit - libc.start
        let addresses = (0..<1000).map { libc.fileAddress(of: libc.start + UInt64($0) * span / 1000) }
        try compare(kind: "libc", binary: libc.path, addresses: addresses, minimumAddresses: 1000)
    }

    // MARK: - Comparison

    private func compare(kind: String, minimumAddresses: Int) throws {
        let binary = try TestSupport.workloadBinary(kind)
        let addresses = try pickAddresses(binary: binary, swift: kind.hasPrefix("swift"), count: 1000)
        try compare(kind: kind, binary: binary, addresses: addresses, minimumAddresses: minimumAddresses)
    }

    private func compare(kind: String, binary: String, addresses: [UInt64], minimumAddresses: Int) throws {
        XCTAssertGreaterThanOrEqual(addresses.count, minimumAddresses)
        let expected = try llvmFrames(binary: binary, addresses: addresses)

        let symbolizer = Symbolizer(file: binary)
        let t0 = DispatchTime.now().uptimeNanoseconds
        // One batch, as a profile asks; then the same addresses one by one (each a batch of
        // one) must agree with it.
        let batch = symbolizer.symbolize(addresses)
        var actual = addresses.map { batch[$0] ?? [] }
        let t1 = DispatchTime.now().uptimeNanoseconds
        symbolizer.cacheLimit = 0
        let sample = stride(from: 0, to: addresses.count, by: 100).map { addresses[$0] }
        for address in sample { XCTAssertEqual(symbolizer.symbolize(address), batch[address], "alone vs batch") }
        let t2 = DispatchTime.now().uptimeNanoseconds
        actual = addresses.map { batch[$0] ?? [] }

        var agree = 0, frameAgree = 0, frameTotal = 0, inlinedAddresses = 0
        var mismatches: [String] = []
        for (i, address) in addresses.enumerated() {
            let mine = actual[i].map { Frame(function: $0.function, file: $0.file, line: $0.line) }
            let theirs = expected[i]
            if theirs.count > 1 { inlinedAddresses += 1 }
            frameTotal += theirs.count
            for (a, b) in zip(mine, theirs) where a == b { frameAgree += 1 }
            if mine == theirs {
                agree += 1
            } else if mismatches.count < (ProcessInfo.processInfo.environment["MEMPROF_SYMBOLS_MISMATCHES"].flatMap { Int($0) } ?? 8) {
                mismatches.append("0x\(String(address, radix: 16)):\n  mine:  \(mine)\n  llvm:  \(theirs)")
            }
        }
        let rate = Double(agree) / Double(max(addresses.count, 1)) * 100
        print(String(format: "[%@] agreement with llvm-symbolizer: %d/%d addresses (%.2f%%), %d/%d frames; "
                     + "%d addresses with inlined frames; one batch %.1f ms (parse included), %d alone %.1f ms",
                     kind, agree, addresses.count, rate, frameAgree, frameTotal, inlinedAddresses,
                     Double(t1 - t0) / 1e6, sample.count, Double(t2 - t1) / 1e6))
        if !mismatches.isEmpty { print("[\(kind)] first mismatches:\n" + mismatches.joined(separator: "\n")) }
        XCTAssertGreaterThanOrEqual(rate, 99.0, "agreement below 99% for \(kind)")
        if kind != "test-bundle" && kind != "libc" {
            XCTAssertGreaterThan(inlinedAddresses, kind.hasPrefix("swift") ? 100 : 5, "workload should exercise inlining")
        }
    }

    /// Instruction addresses and call-return-minus-one addresses inside the program's own
    /// functions, from llvm-objdump, spread evenly.
    private func pickAddresses(binary: String, swift: Bool, count: Int) throws -> [UInt64] {
        let listing = try TestSupport.run(TestSupport.toolchainBin + "/llvm-objdump",
                                          ["-d", "--no-show-raw-insn", "--section=.text", binary])
        let cRuntime: Set<String> = ["deregister_tm_clones", "register_tm_clones", "frame_dummy"]
        var inOwnCode = false
        var instructions: [UInt64] = []
        var callReturns: [UInt64] = []
        var previousWasCall = false
        for line in listing.split(separator: "\n") {
            if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
                let name = String(line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)])
                inOwnCode = swift ? (name.hasPrefix("$s") || name == "main")
                                  : (!name.hasPrefix("_") && !cRuntime.contains(name))
                previousWasCall = false
                continue
            }
            let trimmed = line.drop { $0 == " " }
            guard inOwnCode, let colon = trimmed.firstIndex(of: ":"),
                  let address = UInt64(trimmed[..<colon], radix: 16) else { continue }
            if previousWasCall { callReturns.append(address - 1) }
            let mnemonic = trimmed[trimmed.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            previousWasCall = mnemonic.hasPrefix("call")
            instructions.append(address)
        }
        func spread(_ values: [UInt64], _ n: Int) -> [UInt64] {
            guard values.count > n, n > 0 else { return values }
            return (0..<n).map { values[$0 * values.count / n] }
        }
        let returns = spread(callReturns, count / 2)
        let rest = spread(instructions, count - returns.count)
        return Array(Set(returns + rest)).sorted()
    }

    /// llvm-symbolizer's frames, with names passed through swift-demangle.
    private func llvmFrames(binary: String, addresses: [UInt64]) throws -> [[Frame]] {
        let input = addresses.map { "0x" + String($0, radix: 16) }.joined(separator: "\n") + "\n"
        let output = try TestSupport.run(TestSupport.toolchainBin + "/llvm-symbolizer",
                                         ["--inlining", "--output-style=JSON", "--obj=" + binary], input: input)
        var raw: [[(String, String, Int)]] = []
        for line in output.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let symbols = object["Symbol"] as? [[String: Any]] ?? []
            raw.append(symbols.map { s in
                var name = s["FunctionName"] as? String ?? ""
                var file = s["FileName"] as? String ?? ""
                if name == "??" { name = "" }
                if file == "??" { file = "" }
                return (name, file, s["Line"] as? Int ?? 0)
            })
        }
        XCTAssertEqual(raw.count, addresses.count)
        let names = Array(Set(raw.flatMap { $0.map(\.0) }.filter { !$0.isEmpty })).sorted()
        let demangledLines = try TestSupport.run(TestSupport.toolchainBin + "/swift-demangle", [],
                                                 input: names.joined(separator: "\n") + "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var demangled: [String: String] = [:]
        for (i, name) in names.enumerated() where i < demangledLines.count { demangled[name] = demangledLines[i] }
        return raw.map { frames in
            let result = frames.map { Frame(function: demangled[$0.0] ?? $0.0, file: $0.1, line: $0.2) }
            // llvm prints one "??" frame for an unknown address; this module returns none.
            return result == [Frame(function: "", file: "", line: 0)] ? [] : result
        }
    }
}
