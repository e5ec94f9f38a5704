import MemprofProfile

/// A small, fixed heap profile of a Swift program as our profiler writes it: function names
/// demangled, system names mangled, four heap sample types, inuse_space the default.
enum SwiftSampleProfile {
    static let functions: [(name: String, system: String)] = [
        ("main", "main"),
        ("main.Model.load() -> ()", "$s4main5ModelC4loadyyF"),
        ("generic specialization <Swift.Int> of Swift.Array.append(__owned A) -> ()", "$sSa6appendyyxnFSi_Tg5"),
        ("closure #1 () -> () in main.run() -> ()", "$s4main3runyyFyycfU_"),
        ("main.Model.decode(from: Swift.String) throws -> [Swift.String : [Swift.Int]]",
         "$s4main5ModelC6decode4fromSDySSSaySiGGSS_tKF"),
        ("Swift.Dictionary.init(dictionaryLiteral: (A, B)...) -> [A : B]", "$sSD17dictionaryLiteralSDyxq_Gx_q_td_tcfC"),
        ("swift_allocObject", "swift_allocObject"),
        ("malloc", "malloc"),
        ("foo::Bar::Bar()", "_ZN3foo3BarC2Ev"),
        ("main.run() -> ()", "$s4main3runyyF"),
    ]

    static func make() -> Profile {
        var p = Profile()
        p.sampleTypes = [
            ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
            ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
        ]
        p.defaultSampleType = "inuse_space"
        p.periodType = ValueType(type: "space", unit: "bytes")
        p.period = 524_288
        p.timeNanos = 1_790_000_000_000_000_000
        p.mappings = [Mapping(id: 1, start: 0x400000, limit: 0x800000, file: "/usr/local/bin/modeld", hasFunctions: true),
                      Mapping(id: 2, start: 0x7f0000000000, limit: 0x7f0000100000,
                              file: "/usr/lib/x86_64-linux-gnu/libc.so.6", hasFunctions: true)]
        p.functions = functions.enumerated().map { i, f in
            Function(id: UInt64(i + 1), name: f.name, systemName: f.system,
                     filename: i < 6 || i == 9 ? "/src/modeld/Sources/main/Model.swift" : "", startLine: Int64(10 * i))
        }
        // Location i+1 is function i+1, at line 10*i+3 (malloc in libc, the rest in the binary).
        p.locations = functions.indices.map { i in
            Location(id: UInt64(i + 1), mappingID: i == 7 ? 2 : 1, address: UInt64(i == 7 ? 0x7f0000001000 : 0x401000 + 0x10 * i),
                     lines: [Line(functionID: UInt64(i + 1), line: Int64(10 * i + 3))])
        }
        func sample(_ stack: [UInt64], _ objects: Int64, _ bytes: Int64, inuse: Int64) -> Sample {
            Sample(locationIDs: stack, values: [objects, bytes, objects * inuse / 100, bytes * inuse / 100])
        }
        p.samples = [
            sample([8, 7, 2, 1], 120, 64 << 20, inuse: 50),            // malloc <- allocObject <- load <- main
            sample([8, 3, 2, 1], 40, 24 << 20, inuse: 100),            // Array.append in load
            sample([8, 7, 5, 2, 1], 300, 12 << 20, inuse: 25),         // decode in load
            sample([8, 6, 5, 2, 1], 80, 6 << 20, inuse: 0),            // Dictionary literal in decode
            sample([8, 3, 4, 10, 1], 500, 20 << 20, inuse: 10),        // append in closure in run
            sample([8, 9, 4, 10, 1], 7, 3 << 20, inuse: 100),          // C++ constructor in closure
            sample([8, 1], 2, 512 << 10, inuse: 100),                  // main itself
        ]
        return p
    }
}
