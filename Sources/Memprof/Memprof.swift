import CMemprofHook

/// The runtime API of swift-memprof: exact allocation counters, process memory, and (soon)
/// the sampling heap profiler.
///
/// Linking this module is enough to count every allocation of the process: the hook in
/// `CMemprofHook` interposes malloc and friends. Nothing here needs to be called first.
public enum Memprof {
    /// Whether every malloc-family symbol of the process reaches the hook.
    ///
    /// An executable linked with lld may not export `calloc`, `realloc` and `posix_memalign`,
    /// so calls from shared libraries (libswiftCore among them) bypass the hook; `bypassed`
    /// names them. Link with gold (the default here) or add
    /// `-Xlinker --export-dynamic-symbol=NAME` for each.
    public struct HookStatus: Sendable, Equatable {
        /// True when no symbol is bypassed.
        public var isActive: Bool { bypassed.isEmpty }
        /// Hooked symbols that shared libraries resolve elsewhere.
        public var bypassed: [String]
        /// True when block sizes are read from glibc's chunk header (fast path); false when
        /// `malloc_usable_size` is used because the self-check at start-up disagreed.
        public var readsChunkHeader: Bool
    }

    /// Checks how the hook is wired into this process. Costs a `dlsym` per symbol.
    public static func hookStatus() -> HookStatus {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = memprof_bypassed_symbols(&buffer, buffer.count)
        let names = count == 0 ? [] : String(cString: buffer).split(separator: " ").map(String.init)
        return HookStatus(bypassed: names, readsChunkHeader: memprof_uses_chunk_header() != 0)
    }
}
