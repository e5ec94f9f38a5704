import Foundation
import MemprofSymbolication
import XCTest

/// The names profiles carry for Swift functions: module-qualified, argument labels, no types.
final class SwiftCompactNameTests: XCTestCase {
    func testShapesOfRealNames() {
        let cases: [(String, String)] = [
            ("function signature specialization <Arg[3] = Dead> of static memprof_http_demo.DemoWorkload.keepBuffer(_: inout [Swift.UnsafeMutableRawPointer?], at: Swift.Int, bytes: Swift.Int) -> ()",
             "memprof_http_demo.DemoWorkload.keepBuffer(_:at:bytes:) [specialized]"),
            ("memprof_demo.bigBytes() -> [Swift.UInt8]", "memprof_demo.bigBytes()"),
            ("closure #1 (Swift.Int) -> () in static MemprofWorkloads.Workloads.buildReport(inout MemprofWorkloads.Workloads.Expected) -> ()",
             "closure #1 in MemprofWorkloads.Workloads.buildReport(_:)"),
            ("generic specialization <Swift.UInt8> of Swift.Array.init(repeating: A, count: Swift.Int) -> [A]",
             "Swift.Array.init(repeating:count:) [specialized]"),
            ("merged generic specialization <(Swift.Int) -> ()> of Swift.Array.append(__owned A) -> ()",
             "Swift.Array.append(_:) [specialized]"),
            ("Swift._StringObject.isLarge.getter : Swift.Bool", "Swift._StringObject.isLarge.getter"),
            ("static FoundationEssentials.ProcessInfo.processInfo : FoundationEssentials.ProcessInfo",
             "FoundationEssentials.ProcessInfo.processInfo"),
            ("NIOConcurrencyHelpers.LockStorage.withLockedValue<A>((inout A) throws -> A1) throws -> A1",
             "NIOConcurrencyHelpers.LockStorage.withLockedValue(_:)"),
            ("(extension in Swift):Swift.Slice< where A: Swift.RangeReplaceableCollection>.replaceSubrange<A where A1: Swift.Collection, A.Element == A1.Element>(_: Swift.Range<A.Index>, with: A1) -> ()",
             "Swift.Slice.replaceSubrange(_:with:)"),
            ("NIOPosix.(SocketChannelLifecycleManager in _7F4F544BB68CD2CFABA0C7990D6EB2C6).canBeDestroyed.getter : Swift.Bool",
             "NIOPosix.SocketChannelLifecycleManager.canBeDestroyed.getter"),
            ("static NIOCore.NIOTooManyBytesError.== infix(NIOCore.NIOTooManyBytesError, NIOCore.NIOTooManyBytesError) -> Swift.Bool",
             "NIOCore.NIOTooManyBytesError.==(_:_:)"),
            ("static Swift.Comparable.... infix(A, A) -> Swift.ClosedRange<A>", "Swift.Comparable....(_:_:)"),
            ("protocol witness for static Swift.Comparable.< infix(A, A) -> Swift.Bool in conformance NIOHTTP1.HTTPHeaders.Index : Swift.Comparable in NIOHTTP1",
             "protocol witness for Swift.Comparable.<(_:_:) in conformance NIOHTTP1.HTTPHeaders.Index"),
            ("merged protocol witness for Swift.RangeReplaceableCollection.init(repeating: A.Element, count: Swift.Int) -> A in conformance [A] : Swift.RangeReplaceableCollection in Swift",
             "protocol witness for Swift.RangeReplaceableCollection.init(repeating:count:) in conformance Swift.Array"),
            ("Swift.Dictionary.subscript.getter : (_: A, default: @autoclosure () -> B) -> B",
             "Swift.Dictionary.subscript(_:default:).getter"),
            ("Logging.Logger.MetadataValueAttributes.subscript.modify : <A where A: Logging.Logger.MetadataValueAttributes.Attribute>(A.Type) -> A? with unmangled suffix \".resume.0\"",
             "Logging.Logger.MetadataValueAttributes.subscript(_:).modify"),
            ("partial apply forwarder for generic specialization <()> of closure #1 @Sendable () -> () in NIOCore.EventLoopPromise.fail(Swift.Error) -> () with unmangled suffix \".161\"",
             "partial apply for closure #1 in NIOCore.EventLoopPromise.fail(_:) [specialized]"),
            ("closure #1 () -> Swift.Bool in implicit closure #1 () -> Swift.Bool in static Prometheus.LockOperations.create(Swift.UnsafeMutablePointer<__C.pthread_mutex_t>) -> ()",
             "closure #1 in implicit closure #1 in Prometheus.LockOperations.create(_:)"),
            ("$defer #1 <A><A1>() -> () in closure #1 (Swift.UnsafeMutablePointer<A>, Swift.UnsafeMutablePointer<__C.pthread_mutex_t>) throws -> A1 in NIOConcurrencyHelpers.LockStorage.withLockedValue<A>((inout A) throws -> A1) throws -> A1",
             "$defer #1 in closure #1 in NIOConcurrencyHelpers.LockStorage.withLockedValue(_:)"),
            ("valueType #1 (MemprofProfile.WireProfile.ValueTypeX, Swift.String) throws(MemprofProfile.ProfileError) -> MemprofProfile.ValueType in MemprofProfile.WireProfile.resolved() throws(MemprofProfile.ProfileError) -> MemprofProfile.Profile",
             "valueType(_:_:) #1 in MemprofProfile.WireProfile.resolved()"),
            ("(2) await resume partial function for closure #2 () async -> MemprofHTTP.ProfileGate.Outcome in MemprofHTTP.ProfileGate.acquire(timeout: Swift.Duration) async -> MemprofHTTP.ProfileGate.Outcome",
             "closure #2 in MemprofHTTP.ProfileGate.acquire(timeout:)"),
            ("reabstraction thunk helper from @escaping @callee_guaranteed () -> () to @escaping @callee_guaranteed () -> (@out ())",
             "reabstraction thunk"),
            ("outlined copy of NIOCore.CallbackList.Wrapper?", "outlined copy of NIOCore.CallbackList.Wrapper?"),
            ("outlined destroy of AsyncAlgorithms.ManagedCriticalState<AsyncAlgorithms.CombineLatestStateMachine<A, B, C>>",
             "outlined destroy of AsyncAlgorithms.ManagedCriticalState"),
            ("dispatch thunk of Swift.MutableCollection.subscript.modify : (Swift.Range<A.Index>) -> A.SubSequence",
             "dispatch thunk of Swift.MutableCollection.subscript(_:).modify"),
            ("type metadata accessor for Swift.UInt.SIMD32Storage", "type metadata accessor for Swift.UInt.SIMD32Storage"),
            ("initializeWithCopy value witness for MemprofProfile.(ProfileMerger in _1F67E12CB0ECFA67CCC99E3BFCFBF074).MappingKey",
             "initializeWithCopy value witness for MemprofProfile.ProfileMerger.MappingKey"),
            ("Foundation.NSString.__allocating_init(contentsOfFile: Swift.String, usedEncoding: Swift.UnsafeMutablePointer<Swift.UInt>?) throws -> Foundation.NSString",
             "Foundation.NSString.__allocating_init(contentsOfFile:usedEncoding:)"),
            ("closure #2 ((key: Swift.String, value: [Swift.String])) -> Swift.String in static MemprofHTTP.DeltaHeapBaseline.(key in _231C925118145029BC7071866E0313FF)(MemprofProfile.Sample, [Swift.UInt64 : Swift.UInt64]) -> MemprofHTTP.DeltaHeapBaseline.(Key in _231C925118145029BC7071866E0313FF)",
             "closure #2 in MemprofHTTP.DeltaHeapBaseline.key(_:_:)"),
            ("CoreMetrics.Counter.__deallocating_deinit", "CoreMetrics.Counter.__deallocating_deinit"),
            ("@objc closure #1 (Swift.UnsafeMutableRawPointer?) -> Swift.UnsafeMutableRawPointer? in closure #1 (Swift.UnsafeMutablePointer<Swift.UInt?>) -> Swift.Int32 in static NIOPosix.ThreadOpsPosix.run(handle: inout Swift.UInt?, args: NIOPosix.Box<(body: (NIOPosix.NIOThread) -> (), name: Swift.String?)>) -> ()",
             "@objc closure #1 in closure #1 in NIOPosix.ThreadOpsPosix.run(handle:args:)"),
            ("protocol witness for Swift.Collection.subscript.read : (A.Index) -> A.Element in conformance NIOCore.ByteBufferView : Swift.Collection in NIOCore",
             "protocol witness for Swift.Collection.subscript(_:).read in conformance NIOCore.ByteBufferView"),
            ("closure #1 () -> () in closure #2 (Swift.Int) -> Swift.UInt in static MemprofWorkloads.Workloads.threads(count: Swift.Int, operations: Swift.Int) -> MemprofWorkloads.Workloads.Expected",
             "closure #1 in closure #2 in MemprofWorkloads.Workloads.threads(count:operations:)"),
            ("__allocating_init(Swift.Int, Node #1 in static MemprofWorkloads.Workloads.churn(iterations: Swift.Int) -> MemprofWorkloads.Workloads.Expected?) -> Node #1 in static MemprofWorkloads.Workloads.churn(iterations: Swift.Int) -> MemprofWorkloads.Workloads.Expected in Node #1 in static MemprofWorkloads.Workloads.churn(iterations: Swift.Int) -> MemprofWorkloads.Workloads.Expected",
             "__allocating_init(_:_:) in Node #1 in MemprofWorkloads.Workloads.churn(iterations:)"),
            ("assignWithCopy value witness for [Swift.String : Swift.String].Iterator",
             "assignWithCopy value witness for Swift.Dictionary.Iterator"),
            ("main", "main"),
            ("malloc", "malloc"),
            ("[memprof: symbol tables]", "[memprof: symbol tables]"),
        ]
        for (demangled, compact) in cases {
            XCTAssertEqual(SwiftCompactName.compact(demangled), compact, demangled)
            XCTAssertEqual(SwiftCompactName.compact(compact), compact, "not idempotent: " + compact)
        }
    }

    /// Every Swift function of the loaded libswiftCore, Foundation and this test binary (which
    /// links SwiftNIO) that a stride of addresses lands in: demangled in-process as profiles
    /// are, then compacted. Checks that no types are left, that brackets balance, that the
    /// compact form is a fixed point, and (with the toolchain's `swift demangle --simplified`
    /// as an independent reader of the same symbols) that the argument labels are the ones
    /// the symbol declares.
    func testRealSymbolsOfLibswiftCoreFoundationAndNIO() throws {
        let symbolizer = try Symbolizer()
        var addresses: [UInt64] = []
        for module in symbolizer.modules where !module.isVDSO {
            let base = Self.fileName(module.path)
            guard base.hasPrefix("libswiftCore") || base.hasPrefix("libFoundation") || base.contains("PackageTests") else { continue }
            for range in module.executableRanges {
                let step = max(64, (range.limit - range.start) / 1500)
                addresses += stride(from: range.start, to: range.limit, by: Int(step)).map { $0 }
            }
        }
        var mangled = Set<String>()
        for frames in symbolizer.symbolize(addresses).values {
            for frame in frames where Demangler.isSwiftMangled(frame.mangledName) { mangled.insert(frame.mangledName) }
        }
        XCTAssertGreaterThan(mangled.count, 1000, "too few Swift symbols found to test")
        let symbols = mangled.sorted()
        var compactNames: [String: Set<String>] = [:]
        for symbol in symbols {
            let full = Demangler.demangle(symbol)
            let c = SwiftCompactName.compact(full)
            XCTAssertFalse(c.isEmpty, full)
            XCTAssertFalse(c.contains("->"), "a function type is left in \(c) from \(full)")
            XCTAssertFalse(c.contains(" : "), "a type annotation is left in \(c) from \(full)")
            XCTAssertFalse(c.contains("Swift.Int,"), "a parameter type is left in \(c) from \(full)")
            XCTAssertTrue(Self.balanced(c), "unbalanced brackets in \(c) from \(full)")
            XCTAssertEqual(SwiftCompactName.compact(c), c, "not a fixed point: \(c) from \(full)")
            XCTAssertEqual(c.hasSuffix(" [specialized]"), full.contains("specialization <"), full)
            // Module-qualified: a name with a module path keeps one (only words are left of
            // thunks between function types and of phrases about tuples).
            XCTAssertTrue(c.contains(".") || !full.contains(".") || !c.contains(where: { $0.isUppercase || $0 == "(" }),
                          "the module is lost in \(c) from \(full)")
            compactNames[c, default: []].insert(full)
        }
        let merged = compactNames.values.filter { $0.count > 1 }.reduce(0) { $0 + $1.count }
        print("compact names: \(symbols.count) Swift symbols, \(compactNames.count) compact names; "
              + "\(merged) symbols share a compact name with another")

        // Labels: the toolchain's simplified demangling prints `f(_:at:)` for the same symbol.
        guard let simplified = Self.toolchainSimplified(symbols) else { throw XCTSkip("swift demangle not available") }
        var compared = 0
        for (symbol, simple) in zip(symbols, simplified) {
            let c = SwiftCompactName.compact(Demangler.demangle(symbol))
            guard let expected = Self.lastLabelList(simple), let got = Self.lastLabelList(c) else { continue }
            compared += 1
            XCTAssertEqual(got, expected, "labels of \(symbol): \(c) against \(simple)")
        }
        XCTAssertGreaterThan(compared, 500)
    }

    private static func fileName(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    /// `(` `)` and `[` `]` pair up (`<` is no bracket in a compact name: only operators keep it).
    private static func balanced(_ s: String) -> Bool {
        var stack: [Character] = []
        for c in s {
            if c == "(" || c == "[" { stack.append(c) }
            if c == ")" { guard stack.popLast() == "(" else { return false } }
            if c == "]" { guard stack.popLast() == "[" else { return false } }
        }
        return stack.isEmpty
    }

    /// The last `(a:b:)` group of a name (labels only), if any.
    private static func lastLabelList(_ s: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: "\\((?:[A-Za-z0-9_`$]+:)+\\)") else { return nil }
        let ns = s as NSString
        return regex.matches(in: s, range: NSRange(location: 0, length: ns.length)).last.map { ns.substring(with: $0.range) }
    }

    private static func toolchainSimplified(_ symbols: [String]) -> [String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift-demangle", "--simplified"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let writer = Thread {
            input.fileHandleForWriting.write(Data((symbols.joined(separator: "\n") + "\n").utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.count >= symbols.count ? Array(lines.prefix(symbols.count)) : nil
    }
}
