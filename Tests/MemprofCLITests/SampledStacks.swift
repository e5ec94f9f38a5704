import Foundation
import MemprofProfile

/// The samples of a profile as function names, leaf first, with inlined calls expanded,
/// for checking that stacks are complete.
struct SampledStacks {
    struct Stack {
        var allocatedBytes: Int64
        /// Allocation calls (alloc_objects) with this stack.
        var allocations: Int64 = 0
        var frames: [String]
        /// The file of the outermost location's mapping.
        var outermostFile: String
    }

    var stacks: [Stack]

    /// Functions that only the outermost frames of a thread call: the stack of an
    /// allocation made by the program reaches one of them when it is complete.
    static let roots: Set<String> = ["main", "__libc_start_call_main", "__libc_start_main", "_start",
                                     "start_thread", "clone3", "clone"]

    init(_ profile: Profile) {
        let names = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        let files = Dictionary(uniqueKeysWithValues: profile.mappings.map { ($0.id, $0.file) })
        let space = profile.sampleTypes.firstIndex { $0.type == "alloc_space" } ?? 1
        let objects = profile.sampleTypes.firstIndex { $0.type == "alloc_objects" } ?? 0
        stacks = profile.samples.compactMap { sample in
            var frames: [String] = []
            for id in sample.locationIDs {
                guard let location = locations[id] else { continue }
                // pprof: line 0 is the innermost inlined call, the last line its caller.
                if location.lines.isEmpty { frames.append(String(format: "0x%llx", location.address)) }
                for line in location.lines { frames.append(names[line.functionID] ?? "?") }
            }
            // The profiler's own memory is a sample of its own ("[memprof: ...]"), not a stack.
            if frames.first?.hasPrefix("[memprof") == true { return nil }
            let outermost = sample.locationIDs.last.flatMap { locations[$0] }.flatMap { files[$0.mappingID] } ?? ""
            return Stack(allocatedBytes: sample.values[space], allocations: sample.values[objects], frames: frames,
                         outermostFile: outermost)
        }
    }

    /// True when the stack reaches main, a thread's start routine, or the dynamic loader's
    /// entry (constructors run before main, from ld.so, whose symbols Debian strips).
    static func reachesRoot(_ s: Stack) -> Bool {
        s.frames.contains { roots.contains($0) } || s.outermostFile.contains("/ld-linux")
    }

    var totalBytes: Int64 { stacks.reduce(0) { $0 + $1.allocatedBytes } }

    /// The share of allocated bytes whose stacks reach a root.
    var completeShare: Double {
        let complete = stacks.filter(Self.reachesRoot).reduce(0) { $0 + $1.allocatedBytes }
        return totalBytes == 0 ? 0 : Double(complete) / Double(totalBytes)
    }

    /// Stacks that contain frames matching `patterns` in this order (leaf to root), each
    /// pattern a substring of a function name; not necessarily adjacent.
    func matching(_ patterns: [String]) -> [Stack] {
        stacks.filter { s in
            var next = 0
            for frame in s.frames where next < patterns.count && frame.contains(patterns[next]) { next += 1 }
            return next == patterns.count
        }
    }

    /// The incomplete stacks, for failure messages.
    func incompleteDescription(limit: Int = 5) -> String {
        stacks.filter { !Self.reachesRoot($0) }.sorted { $0.allocatedBytes > $1.allocatedBytes }.prefix(limit)
            .map { "\($0.allocatedBytes) B: " + $0.frames.joined(separator: " <- ") }.joined(separator: "\n")
    }
}
