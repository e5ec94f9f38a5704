import ArgumentParser
import Foundation
import MemprofProfile

/// `memprof _synthetic-profile --stacks N -o FILE` (hidden): writes a heap profile with N
/// distinct stacks, for benchmarks and tests. Deterministic for a given seed.
struct SyntheticProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_synthetic-profile",
        abstract: "Write a synthetic heap profile with many distinct stacks (for benchmarks).",
        discussion: """
            Example:
              memprof _synthetic-profile --stacks 20000 -o big.pb.gz
              memprof top -n 10 big.pb.gz
            """,
        shouldDisplay: false
    )

    @Option(help: "Number of distinct stacks (samples).")
    var stacks = 20_000

    @Option(help: "Number of distinct functions.")
    var functions = 3_000

    @Option(help: "Seed of the pseudo-random generator.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "File to write (gzipped profile.proto).")
    var output: String

    func validate() throws {
        if stacks < 1 || functions < 10 { throw ValidationError("need at least 1 stack and 10 functions") }
    }

    func run() throws {
        let profile = SyntheticProfile(stacks: stacks, functions: functions, seed: seed).build()
        try Diagnostics.run {
            do {
                try Data(profile.encoded(gzip: true)).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIFailure(Diagnostics.cannotWrite(output, error))
            }
        }
    }
}

/// A heap profile shaped like a real program's: a call tree with a few hot paths, stack
/// depths of 6 to 40, several locations per function, Go's four heap sample types.
struct SyntheticProfile {
    var stacks: Int
    var functions: Int
    var seed: UInt64

    /// SplitMix64: small, fast, deterministic.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    func build() -> Profile {
        var rng = Random(state: seed)
        let modules = ["app", "Networking", "Storage", "Rendering", "Foundation"]
        let funcs = (0..<functions).map { i -> Function in
            let module = modules[i % modules.count]
            let name = "\(module).Type\(i / 7).method\(i)(_:)"
            return Function(id: UInt64(i + 1), name: name, systemName: "$s\(module.count)\(module)method\(i)",
                            filename: "Sources/\(module)/File\(i / 20).swift", startLine: Int64(10 + i % 400))
        }
        var locations: [Location] = []
        var locationOf: [[UInt64]] = Array(repeating: [], count: functions)
        for f in 0..<functions {
            for k in 0..<(1 + f % 3) {
                let id = UInt64(locations.count + 1)
                locations.append(Location(id: id, mappingID: 1, address: 0x40_0000 + id * 16,
                                          lines: [Line(functionID: UInt64(f + 1), line: Int64(12 + f % 400 + k))]))
                locationOf[f].append(id)
            }
        }
        var seen = Set<[UInt64]>()
        var samples: [Sample] = []
        samples.reserveCapacity(stacks)
        while samples.count < stacks {
            // Roots are few (main, thread entry points); leaves are many.
            let depth = 6 + rng.below(35)
            var stack: [UInt64] = []
            var f = rng.below(8)
            for level in 0..<depth {
                let choices = locationOf[f]
                stack.append(choices[rng.below(choices.count)])
                let spread = min(functions, 16 << min(level, 8))
                f = (f * 31 + 7 + rng.below(spread)) % functions
            }
            stack.reverse()  // leaf first
            guard seen.insert(stack).inserted else { continue }
            let size = Int64(16 << rng.below(12))
            let count = Int64(1 + rng.below(200))
            let live = Int64(rng.below(Int(count) + 1))
            samples.append(Sample(locationIDs: stack, values: [count, count * size, live, live * size],
                                  numericLabels: ["bytes": [size]]))
        }
        let mapping = Mapping(id: 1, start: 0x40_0000, limit: 0x40_0000 + UInt64(locations.count + 2) * 16,
                              offset: 0, file: "/usr/bin/synthetic-app", buildID: "",
                              hasFunctions: true, hasFilenames: true, hasLineNumbers: true)
        return Profile(
            sampleTypes: [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
                          ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes")],
            samples: samples, mappings: [mapping], locations: locations, functions: funcs,
            timeNanos: 1_700_000_000_000_000_000, periodType: ValueType(type: "space", unit: "bytes"),
            period: 524_288)
    }
}
