import MemprofProfile
import MemprofSymbolication
#if canImport(Glibc)
import Glibc
#endif

/// Turns raw samples into a symbolized pprof heap profile with Go's conventions: four sample
/// types, period `space/bytes` = rate, a numeric label `bytes` with the block size, values
/// unbiased as Go's runtime/pprof does.
struct HeapProfileBuilder {
    var samples: HeapSamples
    var symbolizer: Symbolizer

    /// Functions that only carry an allocation to malloc: dropped from the leaf end of
    /// stacks so the code that asked for memory is on top.
    static let plumbing: Set<String> = [
        "swift_slowAlloc", "swift_allocObject", "swift_allocBox", "swift_bufferAllocate",
        "swift_allocEmptyBox", "swift_initStackObject", "swift_task_alloc", "swift_slowAllocTyped",
        "operator new(unsigned long)", "operator new[](unsigned long)",
        "operator new(unsigned long, std::align_val_t)", "operator new[](unsigned long, std::align_val_t)",
        "operator new(unsigned long, std::nothrow_t const&)",
    ]

    /// Standard-library internals that only size and allocate storage for the public API
    /// above them (`Array(repeating:count:)`, `append`): dropped from the leaf end too.
    static let plumbingPrefixes = [
        "Swift._ContiguousArrayBuffer.init(_uninitializedCount:", "Swift._allocateUninitializedArray",
        "Swift._ContiguousArrayBuffer._copyToNewBuffer", "Swift.ManagedBuffer.create(",
        "static Swift.Array._allocateUninitialized(", "static Swift.Array._allocateBufferUninitialized(",
    ]

    static func isPlumbing(_ name: String) -> Bool {
        if plumbing.contains(name) { return true }
        // Specialised copies read "generic specialization <...> of NAME".
        let base = name.firstRange(of: " of ").map { String(name[$0.upperBound...]) } ?? name
        return plumbingPrefixes.contains { base.hasPrefix($0) }
    }

    func build(defaultSampleType: String) -> Profile {
        let builder = ProfileBuilder(symbolizer: symbolizer, sampleTypes: HeapProfile.sampleTypes,
                                     periodType: ValueType(type: "space", unit: "bytes"), period: samples.rate)
        builder.leafIsReturnAddress = true
        builder.defaultSampleType = defaultSampleType
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowNanos = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        builder.timeNanos = nowNanos
        if samples.startTimeNanos > 0 { builder.durationNanos = max(0, nowNanos - Int64(samples.startTimeNanos)) }
        if samples.droppedSamples > 0 {
            builder.comments.append("\(samples.droppedSamples) samples dropped: the sampler's tables were full")
        }
        // Every return address at once (as calls: address - 1), so that each module's tables
        // are read once; the same frames then name the profile's locations.
        var calls = Set<UInt64>()
        for bucket in samples.buckets { for pc in bucket.stack { calls.insert(pc &- 1) } }
        let resolved = symbolizer.symbolize(Array(calls))
        builder.resolved = resolved
        var isPlumbing: [UInt64: Bool] = [:]
        for bucket in samples.buckets {
            var stack = Array(bucket.stack)
            while stack.count > 1, let leaf = stack.first, plumbingFrame(leaf, resolved, cache: &isPlumbing) {
                stack.removeFirst()
            }
            // pprof drops samples without locations: a stack that could not be walked keeps
            // its bytes under one unknown location.
            if stack.isEmpty { stack = [0] }
            let (allocObjects, allocBytes) = Self.scale(count: bucket.allocs, size: bucket.size, rate: samples.rate)
            let (inuseObjects, inuseBytes) = Self.scale(count: bucket.allocs - min(bucket.frees, bucket.allocs),
                                                        size: bucket.size, rate: samples.rate)
            builder.add(stack: stack, values: [allocObjects, allocBytes, inuseObjects, inuseBytes],
                        numericLabels: ["bytes": [Int64(bucket.size)]])
        }
        return builder.build()
    }

    private func plumbingFrame(_ pc: UInt64, _ resolved: [UInt64: [SymbolizedFrame]], cache: inout [UInt64: Bool]) -> Bool {
        if let known = cache[pc] { return known }
        let frames = resolved[pc &- 1] ?? symbolizer.symbolize(pc &- 1)
        let result = !frames.isEmpty && frames.allSatisfy { Self.isPlumbing($0.function) || Self.plumbing.contains($0.mangledName) }
        cache[pc] = result
        return result
    }

    /// Go's unbiasing of heap samples: a block of `size` bytes is sampled with probability
    /// 1 - exp(-size/rate), so `count` samples stand for count / that probability blocks.
    static func scale(count: UInt64, size: UInt64, rate: Int64) -> (Int64, Int64) {
        guard count > 0, size > 0 else { return (0, 0) }
        let objects = Double(count), bytes = Double(count) * Double(size)
        if rate <= 1 { return (Int64(objects), Int64(bytes)) }
        let scale = 1 / (1 - exp(-Double(size) / Double(rate)))
        return (Int64(objects * scale), Int64(bytes * scale))
    }
}
