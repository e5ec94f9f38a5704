import MemprofProfile

/// A small deterministic random generator (SplitMix64), so every run tests the same profiles.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random profiles of many shapes: deep and shallow stacks, recursion, inlined frames,
/// unnamed functions, several mappings, zero, negative, tiny and huge values, ties.
struct RandomProfileFactory {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...xs.count - 1)] }

    static let sampleTypeChoices = [
        ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
        ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
        ValueType(type: "cpu", unit: "nanoseconds"), ValueType(type: "samples", unit: "count"),
        ValueType(type: "widgets", unit: "widgets"), ValueType(type: "wall", unit: "milliseconds"),
    ]

    mutating func functionName(_ i: Int) -> (name: String, system: String) {
        let pkg = "pkg\(int(0...5))"
        switch int(0...19) {
        case 0: return ("", "sys_\(i)")
        case 1: return ("", "")
        case 2: return ("ns::Cls<int>::method\(i)(int, char)", "ns::Cls<int>::method\(i)(int, char)")
        case 3: return ("Zed.func\(i)", "Zed.func\(i)")
        case 4: return ("ünï.code\(i)", "ünï.code\(i)")
        case 5: return ("\(pkg).(*T\(i % 3)).Method\(i)", "$s4main1TC6methodyyF\(i)")
        case 6: return ("same.name", "same.name")
        case 7: return ("github.com/x/y.F\(i)", "")
        default: return ("\(pkg).fn\(i)", "\(pkg).fn\(i)")
        }
    }

    mutating func value(style: Int) -> Int64 {
        if chance(0.08) { return 0 }
        let sign: Int64 = style == 3 && chance(0.3) ? -1 : 1
        switch style {
        case 0: return sign * Int64(int(1...10))
        case 1: return sign * Int64(int(1...1 << 20))
        case 2: return sign * Int64.random(in: 1...(1 << 44), using: &rng)
        default: return sign * pick([1, 512, 4096, 100_000, 1_048_576, Int64(int(1...5_000_000))])
        }
    }

    mutating func make() -> Profile {
        var p = Profile()
        let nTypes = int(1...4)
        var types = Self.sampleTypeChoices
        types.shuffle(using: &rng)
        p.sampleTypes = Array(types.prefix(nTypes))
        if chance(0.3) { p.defaultSampleType = pick(p.sampleTypes).type }
        if chance(0.7) { p.timeNanos = Int64.random(in: 1_000_000_000_000_000_000...1_900_000_000_000_000_000, using: &rng) }
        if chance(0.2) { p.durationNanos = Int64(int(1...100_000_000_000)) }
        if chance(0.2) { p.comments = ["generated", "#hidden comment"] }
        if chance(0.15) { p.dropFrames = "pkg1\\.fn[0-9]*" }
        p.periodType = ValueType(type: "space", unit: "bytes")
        p.period = 524_288

        let files = ["/opt/app/bin/server", "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "[vdso]", "", "relative/app",
                     "https://example.com/app.bin"]
        let nMappings = int(0...3)
        for m in 0..<nMappings {
            let start = UInt64(0x400000 + m * 0x1000000)
            p.mappings.append(Mapping(id: UInt64(m + 1), start: start, limit: start + 0x800000,
                                      file: m == 0 && chance(0.8) ? files[0] : pick(files),
                                      buildID: chance(0.2) ? "abc\(m)" : "", hasFunctions: true))
        }
        let nFunctions = pick([1, 3, 10, 40, 150])
        for i in 1...nFunctions {
            let (name, system) = functionName(i)
            p.functions.append(Function(id: UInt64(i), name: name, systemName: system,
                                        filename: chance(0.2) ? "" : chance(0.8) ? "src/pkg\(i % 4)/f\(i % 7).go"
                                            : "./src//pkg\(i % 4)/../f\(i % 7).go",
                                        startLine: Int64(int(0...3))))
        }
        let nLocations = min(pick([1, 5, 30, 200]), nFunctions * 3)
        for i in 1...nLocations {
            let nLines = chance(0.05) ? 0 : (chance(0.25) ? int(2...3) : 1)
            let lines = (0..<nLines).map { _ in
                Line(functionID: UInt64(int(1...nFunctions)), line: Int64(int(0...200)))
            }
            let mappingID = nMappings == 0 || chance(0.05) ? 0 : UInt64(int(1...nMappings))
            let base = mappingID == 0 ? 0x100000 : p.mappings[Int(mappingID) - 1].start
            p.locations.append(Location(id: UInt64(i), mappingID: mappingID,
                                        address: base + UInt64(int(0...0x7FFFF)), lines: lines))
        }
        let style = int(0...3)
        let maxDepth = pick([1, 3, 8, 30])
        for _ in 0..<pick([1, 5, 40, 300]) {
            var stack = (0..<int(chance(0.03) ? 0...0 : 1...maxDepth)).map { _ in UInt64(int(1...nLocations)) }
            if chance(0.2), stack.count > 2 { stack += stack.prefix(int(1...stack.count - 1)) }
            var s = Sample(locationIDs: stack, values: (0..<nTypes).map { _ in value(style: style) })
            if chance(0.15) { s.labels = ["thread": ["t\(int(1...3))"]] }
            if chance(0.2) { s.numericLabels = ["bytes": [Int64(int(1...1 << 22))]] }
            p.samples.append(s)
            if chance(0.1) { p.samples.append(s) }
        }
        return p
    }
}
