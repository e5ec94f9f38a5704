import Foundation
import MemprofProfile
import MemprofSymbolication
import XCTest

/// Raw stacks of this process become a symbolized, valid pprof profile.
final class ProfileBuilderTests: XCTestCase {
    @inline(never)
    private func stackFromHere() -> [UInt64] { memprofSymbolsMarkerStack() }

    func testStacksOfThisProcessBecomeASymbolizedProfile() throws {
        let symbolizer = try Symbolizer()
        let callLine = #line + 1
        let first = stackFromHere()
        let second = stackFromHere()
        let builder = ProfileBuilder(symbolizer: symbolizer,
                                     sampleTypes: [ValueType(type: "alloc_objects", unit: "count"),
                                                   ValueType(type: "alloc_space", unit: "bytes")],
                                     periodType: ValueType(type: "space", unit: "bytes"), period: 524_288)
        builder.add(stack: first, values: [1, 64], numericLabels: ["bytes": [64]])
        builder.add(stack: second, values: [2, 4096], labels: ["kind": ["test"]])
        let profile = builder.build()
        try profile.validate()

        XCTAssertEqual(profile.samples.count, 2)
        XCTAssertEqual(profile.samples[1].values, [2, 4096])
        XCTAssertEqual(profile.samples[0].numericLabels["bytes"], [64])
        XCTAssertEqual(profile.samples[1].labels["kind"], ["test"])
        XCTAssertEqual(profile.period, 524_288)

        // One location per unique address, holding the address as captured.
        let unique = Set(first + second)
        XCTAssertEqual(profile.locations.count, unique.count)
        let byID = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        XCTAssertEqual(profile.samples[0].locationIDs.map { byID[$0]!.address }, first)

        // The mapping of the main executable comes first and is fully described.
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        XCTAssertEqual(profile.mappings.first?.file, exe)
        XCTAssertEqual(profile.mappings.first?.buildID, symbolizer.modules.first?.buildID)
        XCTAssertEqual(profile.mappings.first?.hasFunctions, true)

        // The frame of this test (a return address, so looked up at address - 1) has the call line.
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0) })
        let testFrames = profile.locations.flatMap { location in
            location.lines.compactMap { line -> (Location, Line, Function)? in
                let f = functions[line.functionID]!
                return f.name.contains("testStacksOfThisProcessBecomeASymbolizedProfile") ? (location, line, f) : nil
            }
        }
        XCTAssertEqual(testFrames.count, 2, "one location per call site")
        XCTAssertEqual(Set(testFrames.map { $0.1.line }), [Int64(callLine), Int64(callLine + 1)])
        for (location, _, function) in testFrames {
            XCTAssertEqual(location.mappingID, 1)
            XCTAssertTrue(function.systemName.hasPrefix("$s"), function.systemName)
            XCTAssertTrue(function.filename.hasSuffix("/ProfileBuilderTests.swift"), function.filename)
            XCTAssertGreaterThan(function.startLine, 0)
        }

        // libc has symbols; files and inline frames only when its detached debug info
        // (libc6-dbg, found by build ID) is installed.
        if let libc = profile.mappings.first(where: { $0.file.contains("/libc.so") }),
           profile.locations.contains(where: { $0.mappingID == libc.id }) {
            let info = try BinaryInfo.inspect(path: libc.file)
            XCTAssertTrue(libc.hasFunctions)
            XCTAssertEqual(libc.hasFilenames, info.compileUnitCount > 0)
            XCTAssertEqual(libc.hasInlineFrames, info.compileUnitCount > 0)
            XCTAssertEqual(info.debugFile.isEmpty, info.compileUnitCount == 0)
        }
    }

    func testInlinedFramesBecomeSeveralLinesOfOneLocation() throws {
        let binary = try TestSupport.workloadBinary("swift-dwarf4")
        let symbolizer = Symbolizer(file: binary)
        // Find a return address whose call site is inside inlined code.
        let listing = try TestSupport.run(TestSupport.toolchainBin + "/llvm-objdump", ["-d", "--no-show-raw-insn", binary])
        var returnAddresses: [UInt64] = []
        var previousWasCall = false
        for line in listing.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard let colon = trimmed.firstIndex(of: ":"), let a = UInt64(trimmed[..<colon], radix: 16) else { continue }
            if previousWasCall { returnAddresses.append(a) }
            previousWasCall = trimmed[trimmed.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.hasPrefix("call")
        }
        let inlined = try XCTUnwrap(returnAddresses.first { symbolizer.symbolize($0 - 1).count >= 3 })
        let leaf = try XCTUnwrap(returnAddresses.first { $0 != inlined })
        let builder = ProfileBuilder(symbolizer: symbolizer, sampleTypes: [ValueType(type: "samples", unit: "count")])
        builder.add(stack: [leaf, inlined], values: [1])
        let profile = builder.build()
        try profile.validate()
        let location = try XCTUnwrap(profile.locations.first { $0.address == inlined })
        let expected = symbolizer.symbolize(inlined - 1)
        XCTAssertEqual(location.lines.count, expected.count)
        let functions = location.lines.map { line in profile.functions.first { $0.id == line.functionID }! }
        // Swift functions by their compact names, the mangled symbol beside them.
        XCTAssertEqual(functions.map(\.name), expected.map { Demangler.isSwiftMangled($0.mangledName)
            ? SwiftCompactName.compact($0.function) : $0.function })
        XCTAssertEqual(functions.map(\.systemName), expected.map(\.mangledName))
        for f in functions where Demangler.isSwiftMangled(f.systemName) {
            XCTAssertFalse(f.name.contains("->") || f.name.contains(" : "), f.name)
        }
        XCTAssertEqual(location.lines.map(\.line), expected.map { Int64($0.line) })
        // The leaf is exact: looked up at its own address.
        let leafLocation = try XCTUnwrap(profile.locations.first { $0.address == leaf })
        XCTAssertEqual(leafLocation.lines.count, symbolizer.symbolize(leaf).count)
        let mapping = try XCTUnwrap(profile.mappings.first)
        XCTAssertTrue(mapping.hasFunctions && mapping.hasInlineFrames)
    }

    func testWithoutSymbolizerLocationsAreBare() {
        let builder = ProfileBuilder(symbolizer: nil, sampleTypes: [ValueType(type: "samples", unit: "count")])
        builder.add(stack: [0x1000, 0x2000, 0x1000], values: [3])
        let profile = builder.build()
        XCTAssertEqual(profile.locations.map(\.address), [0x1000, 0x2000])
        XCTAssertEqual(profile.samples[0].locationIDs, [1, 2, 1])
        XCTAssertTrue(profile.functions.isEmpty && profile.mappings.isEmpty)
    }
}
