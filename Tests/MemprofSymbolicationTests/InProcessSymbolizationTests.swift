import Foundation
import MemprofSymbolication
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Return addresses of the current thread, innermost first (Foundation uses `backtrace`).
@inline(never)
func memprofSymbolsMarkerStack() -> [UInt64] {
    Thread.callStackReturnAddresses.map { $0.uint64Value }
}

/// Symbolizes addresses of this very test process, as a profiler in production would.
final class InProcessSymbolizationTests: XCTestCase {
    func testBacktraceOfThisThreadNamesThisTestAndLine() throws {
        let symbolizer = try Symbolizer()
        let expectedLine = #line + 1
        let stack = memprofSymbolsMarkerStack()
        XCTAssertGreaterThan(stack.count, 3)

        var foundMarker = false, foundTest = false
        for (i, address) in stack.enumerated() {
            let frames = symbolizer.symbolize(i == 0 ? address : address - 1)
            for frame in frames {
                if frame.function.contains("memprofSymbolsMarkerStack") {
                    foundMarker = true
                    XCTAssertTrue(frame.file.hasSuffix("/InProcessSymbolizationTests.swift"), frame.file)
                    XCTAssertTrue(frame.mangledName.hasPrefix("$s"), frame.mangledName)
                }
                if frame.function.contains("testBacktraceOfThisThreadNamesThisTestAndLine") {
                    foundTest = true
                    XCTAssertEqual(frame.function,
                                   "MemprofSymbolicationTests.InProcessSymbolizationTests.testBacktraceOfThisThreadNamesThisTestAndLine() throws -> ()")
                    XCTAssertTrue(frame.file.hasSuffix("/InProcessSymbolizationTests.swift"), frame.file)
                    XCTAssertEqual(frame.line, expectedLine)
                    XCTAssertEqual(frame.simplifiedFunction,
                                   "InProcessSymbolizationTests.testBacktraceOfThisThreadNamesThisTestAndLine() throws -> ()")
                }
            }
        }
        XCTAssertTrue(foundMarker, "no frame named memprofSymbolsMarkerStack")
        XCTAssertTrue(foundTest, "no frame named after this test")
    }

    func testExportedRuntimeFunctionResolvesInLibswiftCore() throws {
        let symbolizer = try Symbolizer()
        let pointer = try XCTUnwrap(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "swift_demangle"))
        let address = UInt64(UInt(bitPattern: pointer))
        let module = try XCTUnwrap(symbolizer.module(containing: address))
        XCTAssertTrue(module.path.hasSuffix("/libswiftCore.so"), module.path)
        XCTAssertEqual(module.buildID.count, 40, "libswiftCore has a 20-byte GNU build ID")
        let frames = symbolizer.symbolize(address + 4)
        XCTAssertEqual(frames.first?.function, "swift_demangle")
        XCTAssertEqual(frames.first?.isInlined, false)
    }

    func testModulesIncludeMainExecutableFirstAndTheVDSO() throws {
        let modules = try Symbolizer().modules
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        XCTAssertEqual(modules.first?.path, exe)
        XCTAssertFalse(modules.first?.buildID.isEmpty ?? true, "SwiftPM links with a build ID")
        for m in modules {
            XCTAssertLessThan(m.start, m.limit)
            XCTAssertTrue(m.contains(m.start))
        }
        let vdso = try XCTUnwrap(modules.first { $0.isVDSO }, "no [vdso] module")
        XCTAssertEqual(vdso.baseAddress, try vdsoBaseFromAuxv())
        // Some address of the vDSO's code must resolve to one of its exported time functions.
        let symbolizer = try Symbolizer()
        var names: Set<String> = []
        var address = vdso.start
        while address < vdso.limit {
            if let f = symbolizer.symbolize(address).last { names.insert(f.function) }
            address += 16
        }
        XCTAssertTrue(names.contains { $0.contains("clock_gettime") || $0.contains("gettimeofday") }, "\(names)")
    }

    func testTenThousandAddressesSymbolizeInOneBatchInAFewSeconds() throws {
        let symbolizer = try Symbolizer()
        let main = try XCTUnwrap(symbolizer.modules.first)
        let range = try XCTUnwrap(main.executableRanges.max { ($0.limit - $0.start) < ($1.limit - $1.start) })
        let span = range.limit - range.start
        let addresses = (0..<10_000).map { range.start + UInt64($0) * span / 10_000 }
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = symbolizer.symbolize(addresses[0])
        let t1 = DispatchTime.now().uptimeNanoseconds
        var resolved = 0, frames = 0
        let batch = symbolizer.symbolize(addresses)
        for a in addresses {
            let f = try XCTUnwrap(batch[a])
            if !f.isEmpty { resolved += 1 }
            frames += f.count
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        print(String(format: "[in-process] main executable %@ (%.1f MB of code): first address %.1f ms (module parse), "
                     + "10,000 addresses %.1f ms (%d resolved, %d frames)",
                     main.path, Double(span) / 1e6, Double(t1 - t0) / 1e6, Double(t2 - t1) / 1e6, resolved, frames))
        // The executable mapping also holds read-only data (gold merges it with text).
        XCTAssertGreaterThan(resolved, 5_000)
        // Each batch reads the symbol table and the DWARF units it meets (nothing is kept
        // between batches but unit headers): ~1 s in a debug build of this 15 MB bundle.
        XCTAssertLessThan(Double(t2 - t1) / 1e9, 4.0)
    }

    func testConcurrentSymbolizationIsConsistent() throws {
        let symbolizer = try Symbolizer()
        let stack = memprofSymbolsMarkerStack().map { $0 - 1 }
        let expected = stack.map { symbolizer.symbolize($0) }
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for (i, a) in stack.enumerated() { XCTAssertEqual(symbolizer.symbolize(a), expected[i]) }
        }
    }

    /// AT_SYSINFO_EHDR (33) from /proc/self/auxv: where the kernel mapped the vDSO.
    private func vdsoBaseFromAuxv() throws -> UInt64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/auxv"))
        let words = data.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
        for i in stride(from: 0, to: words.count - 1, by: 2) where words[i] == 33 { return words[i + 1] }
        throw TestSupport.RunError(description: "no AT_SYSINFO_EHDR")
    }
}
