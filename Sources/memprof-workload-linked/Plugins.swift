#if canImport(Glibc)
import Glibc
#endif
import Memprof

/// `memprof-workload-linked plugins OUT LIB...`: loads each library in turn (built from
/// Tests/MemprofCLITests/Support/omit_fp_plugin.c), allocates (8 + i) MiB through its
/// `plugin_alloc`, unloads it, then writes this process's heap profile to OUT (the in-process
/// path: `HeapProfile.write`). Prints where each one's `plugin_alloc` was (plugins a and b
/// have one layout: one address means one load address); exits 3 when the second's was not
/// where the first's was.
func pluginsRun(_ args: [String]) -> Int32 {
    guard args.count >= 2 else {
        print("usage: memprof-workload-linked plugins OUT LIB...")
        return 2
    }
    // As omit_fp_stacks.c does: the sampler's live-table pages are mapped now, not between a
    // dlclose and the next dlopen, where one could take the unloaded library's hole.
    let warm = (0..<2048).map { _ in malloc(16) }
    warm.forEach { free($0) }
    var bases: [UInt] = []
    var kept: [UnsafeMutableRawPointer?] = []
    for (i, path) in args.dropFirst().enumerated() {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "plugin_alloc") else {
            print("dlopen \(path): \(String(cString: dlerror()))")
            return 2
        }
        bases.append(UInt(bitPattern: symbol))
        typealias Alloc = @convention(c) (Int) -> UnsafeMutableRawPointer?
        kept.append(unsafeBitCast(symbol, to: Alloc.self)((9 + i) << 20))
        dlclose(handle)
        print("plugin \(i + 1) at 0x\(String(bases[i], radix: 16))")
    }
    if bases.count > 1 && bases[0] != bases[1] {
        print("plugin 2 was not loaded at plugin 1's address")
        return 3
    }
    do {
        try HeapProfile.write(to: args[0])
    } catch {
        print("HeapProfile.write: \(error)")
        return 1
    }
    withExtendedLifetime(kept) {}
    return 0
}
