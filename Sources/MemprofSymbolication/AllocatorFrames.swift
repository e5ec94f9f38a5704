/// Frames that only carry an allocation to malloc, trimmed from the leaf end of heap-profile
/// stacks so that the code that asked for memory is on top. Shared by in-process profiles and
/// `ProfileSymbolizer`, so both trim alike.
public enum AllocatorFrames {
    /// Functions that forward an allocation to malloc.
    public static let plumbing: Set<String> = [
        "swift_slowAlloc", "swift_allocObject", "swift_allocBox", "swift_bufferAllocate",
        "swift_allocEmptyBox", "swift_initStackObject", "swift_task_alloc", "swift_slowAllocTyped",
        "operator new(unsigned long)", "operator new[](unsigned long)",
        "operator new(unsigned long, std::align_val_t)", "operator new[](unsigned long, std::align_val_t)",
        "operator new(unsigned long, std::nothrow_t const&)",
    ]

    /// Standard-library internals that only size and allocate storage for the public API
    /// above them (`Array(repeating:count:)`, `append`).
    public static let plumbingPrefixes = [
        "Swift._ContiguousArrayBuffer.init(_uninitializedCount:", "Swift._allocateUninitializedArray",
        "Swift._ContiguousArrayBuffer._copyToNewBuffer", "Swift.ManagedBuffer.create(",
        "static Swift.Array._allocateUninitialized(", "static Swift.Array._allocateBufferUninitialized(",
    ]

    /// Whether a (demangled) function name is allocation plumbing.
    public static func isPlumbing(_ name: String) -> Bool {
        if plumbing.contains(name) { return true }
        // Specialised copies read "generic specialization <...> of NAME".
        let base = name.firstRange(of: " of ").map { String(name[$0.upperBound...]) } ?? name
        return plumbingPrefixes.contains { base.hasPrefix($0) }
    }

    /// Whether every frame at an address is plumbing (and there is at least one).
    public static func isPlumbing(_ frames: [SymbolizedFrame]) -> Bool {
        !frames.isEmpty && frames.allSatisfy { isPlumbing($0.function) || plumbing.contains($0.mangledName) }
    }
}
