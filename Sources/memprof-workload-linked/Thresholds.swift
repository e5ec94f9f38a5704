#if canImport(Glibc)
import Glibc
#endif
import Memprof

/// `memprof-workload-linked thresholds`: whether glibc still gives a block a mapping of its
/// own after each step, as one JSON object. glibc's free of an mmapped block larger than its
/// dynamic mmap threshold raises the threshold to that size (a program's own free must still
/// do that); the profiler's own work, freeing buffers of several MiB while it builds a
/// profile, must not. Each probe is larger than every block freed before it but the
/// profiler's, since its own free raises the threshold too.
func thresholdsRun() -> String {
    var steps: [(String, Bool)] = [("start", mmappedBlock(kib: 256))]
    ProfilerWork.unsampled {
        var a = malloc(4 << 20)
        if let a { memset(a, 1, 4 << 20) }
        a = realloc(a, 6 << 20)  // remapped: glibc's realloc never moves the thresholds
        free(a)
        let b = malloc(3 << 20)
        _ = realloc(b, 0)  // a free
        free(malloc(5 << 20))
    }
    steps.append(("after_own_frees", mmappedBlock(kib: 1024)))
    // A real build: thousands of buckets (rate 1, distinct sizes kept alive), so that the bucket
    // copy, the samples and the debug=1 text are buffers of megabytes.
    let previousRate = HeapProfile.samplingRate
    HeapProfile.samplingRate = 1
    let kept = (0..<10_000).map { malloc(16 + $0 * 4)! }
    HeapProfile.samplingRate = previousRate
    let text = (try? HeapProfile.legacyText()) ?? ""
    let encoded = (try? HeapProfile.encoded()) ?? []
    steps.append(("after_profile_builds", mmappedBlock(kib: 2048)))
    for p in kept { free(p) }
    // The program's own free of a 4 MiB mmapped block: glibc raises the threshold, as without us.
    onNewThread { free(malloc(4 << 20)) }
    steps.append(("after_program_free", mmappedBlock(kib: 3072)))
    let fields = steps.map { "\"\($0.0)\":\($0.1)" } + ["\"text_bytes\":\(text.utf8.count)", "\"encoded_bytes\":\(encoded.count)"]
    return "{" + fields.joined(separator: ",") + "}"
}

/// Whether a block of `kib` KiB gets a mapping of its own, asked on a new thread: that gets an
/// arena of its own with a small top, where the main arena's free space could hold the block
/// whatever the threshold.
private func mmappedBlock(kib: Int) -> Bool {
    var mapped = false
    onNewThread {
        guard let p = malloc(kib << 10) else { return }
        mapped = p.load(fromByteOffset: -MemoryLayout<UInt>.size, as: UInt.self) & 2 != 0
        free(p)
    }
    return mapped
}

private func onNewThread(_ body: @escaping () -> Void) {
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    pthread_create(&thread, nil, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    pthread_join(thread, nil)
}

private final class Box {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
