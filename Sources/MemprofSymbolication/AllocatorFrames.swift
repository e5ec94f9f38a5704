#if canImport(Glibc)
import Glibc
#endif

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

    /// Whether a (demangled) function belongs to the Swift runtime or standard library:
    /// `Swift.`, `(extension in Swift)`, `swift_` and `swift::` names, also when specialised,
    /// in a closure, or a protocol witness. Like Go's `runtime.mallocgc` and `makeslice`,
    /// they are trimmed from the leaf end of heap stacks, so the user's code is flat
    /// (`MEMPROF_KEEP_RUNTIME_FRAMES=1` keeps them).
    public static func isSwiftRuntime(_ name: String) -> Bool {
        var n = Substring(name)
        var changed = true
        while changed {
            changed = false
            if n.hasPrefix("generic specialization <") || n.hasPrefix("function signature specialization <")
                || n.hasPrefix("generic partial specialization <"), let of = n.firstRange(of: "> of ") {
                n = n[of.upperBound...]
                changed = true
            }
            for prefix in ["static ", "merged ", "partial apply for ", "protocol witness for ", "outlined copy of ",
                           "outlined destroy of ", "(extension in Swift):"] where n.hasPrefix(prefix) {
                n = n.dropFirst(prefix.count)
                if prefix == "(extension in Swift):" { return true }
                changed = true
            }
            if n.hasPrefix("closure #") || n.hasPrefix("implicit closure #"), let r = n.firstRange(of: " in ") {
                n = n[r.upperBound...]
                changed = true
            }
        }
        if n.hasPrefix("Swift.") || n.hasPrefix("swift_") || n.hasPrefix("swift::") || n.hasPrefix("_swift_") { return true }
        // The runtime's C++, demangled with a return type: "void swift::Concurrent...<...>(...)".
        let head = n.prefix { $0 != "(" && $0 != "<" }
        return head.contains(" swift::")
    }

    /// `MEMPROF_KEEP_RUNTIME_FRAMES=1` in the environment: trim only the allocator plumbing.
    public static let keepRuntimeFramesFromEnvironment: Bool = {
        guard let value = getenv("MEMPROF_KEEP_RUNTIME_FRAMES") else { return false }
        let text = String(cString: value)
        return !text.isEmpty && text != "0"
    }()

    /// A heap stack (return addresses, leaf first) without its allocator frames at the leaf
    /// end, and without the runtime's unless `keepRuntime`. Whole locations go; in the first
    /// one kept, inlined runtime frames on its leaf side are dropped from `resolved` (keyed
    /// by call address, return address - 1). At least one location is kept.
    public static func trimLeaf(_ stack: [UInt64], resolved: inout [UInt64: [SymbolizedFrame]], keepRuntime: Bool,
                                lookup: (UInt64) -> [SymbolizedFrame]) -> [UInt64] {
        func trimmable(_ f: SymbolizedFrame) -> Bool {
            isPlumbing(f.function) || plumbing.contains(f.mangledName) || (!keepRuntime && isSwiftRuntime(f.function))
        }
        var first = 0
        while first < stack.count - 1, stack[first] > 0 {
            let call = stack[first] &- 1
            let frames = resolved[call] ?? lookup(call)
            if frames.isEmpty { break }
            if frames.allSatisfy(trimmable) {
                first += 1
                continue
            }
            if !keepRuntime, trimmable(frames[0]) { resolved[call] = Array(frames.drop(while: trimmable)) }
            break
        }
        return Array(stack[first...])
    }
}
