// The seed article's program ("Understanding Go Lang Memory Usage"), in Swift, with
// swift-memprof in place of runtime.ReadMemStats, pprof and ps:
//   1. print Alloc, TotalAlloc, HeapAlloc and HeapSys;
//   2. allocate ten 100,000,000-byte buffers in bigBytes(), keeping only the last one;
//   3. print the figures again;
//   4. show the heap profile as the article shows `go tool pprof -top` (inuse and alloc);
//   5. show VIRT against RSS of this process, what RSS is made of, and what it means.
#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofAnalysis

@inline(never)
func bigBytes() -> [UInt8] {
    [UInt8](repeating: 0, count: 100_000_000)
}

func printStats(_ title: String) {
    let m = MemStats.read()
    print("\(title): Alloc \(m.alloc)  TotalAlloc \(m.totalAlloc)  HeapAlloc \(m.heapAlloc)  HeapSys \(m.heapSys)")
}

print("swift-memprof demo: the seed article's program, in Swift\n")
printStats("before")
var kept: [UInt8] = []
for i in 0..<10 {
    let s = bigBytes()
    if s.isEmpty { print("oh noes") }
    if i == 9 { kept = s }
}
printStats("after ")
let stats = MemStats.read()
let counters = AllocationCounters.read()
print("""

    Ten buffers of 100,000,000 bytes were allocated (TotalAlloc grew by about 1 GB), but only
    the last one is still referenced, so Alloc (live heap) holds one buffer: \(Memprof.formatBytes(stats.alloc)).
    Peak live heap was \(Memprof.formatBytes(counters.peakLiveBytes)): Swift frees each buffer as soon as its last
    reference goes, unlike Go, which frees at its next garbage collection.
    """)

// The heap profile: which code holds memory now, and which allocated the most.
do {
    let path = "memprof-demo-heap.pb.gz"
    try HeapProfile.write(to: path)
    let profile = try HeapProfile.snapshot()
    for sampleType in ["inuse_space", "alloc_space"] {
        var options = ReportOptions()
        options.sampleIndex = sampleType
        options.nodeCount = 5
        print("\n$ memprof top -n 5 --sample-index \(sampleType) \(path)   (the same as go tool pprof -top)")
        print(try TopReport().render(ReportContext(profile: profile, options: options)), terminator: "")
    }
    print("""

        bigBytes allocated ten buffers (alloc_space, about 1 GB, sampled at one sample per
        512 KiB and scaled back as Go does) and holds one of them now (inuse_space). The
        profile was written to \(path): open it with `go tool pprof` or `memprof`.
        """)
} catch {
    print("cannot write the heap profile: \(error)")
}

do {
    let memory = try ProcessMemory.read()
    let heap = memory.breakdown.usage(of: .mallocHeap)
    let big = memory.breakdown.usage(of: .mallocMmapped)
    let files = memory.breakdown.usage(of: .file)
    let stacks = memory.breakdown.usage(of: .threadStack).residentBytes + memory.breakdown.usage(of: .mainStack).residentBytes
    print("""

        VIRT vs RSS (what top and ps show):
          VIRT \(Memprof.formatBytes(memory.virtualBytes)): all the address space this process has mapped,
               whether or not memory backs it.
          RSS  \(Memprof.formatBytes(memory.residentBytes)): the part that is in physical memory right now.

        \(memory.breakdown)

        In plain words: RSS is \(Memprof.formatBytes(memory.residentBytes)). Of it, \(Memprof.formatBytes(big.residentBytes)) is the kept
        buffer (glibc serves blocks this large with their own mmap and unmaps them at free, so
        the nine freed buffers left nothing behind), \(Memprof.formatBytes(heap.residentBytes)) is the malloc heap for small
        objects (most of it the symbol and line tables read to name the functions in the heap
        profile above), \(Memprof.formatBytes(files.residentBytes)) is code and data of the program and its libraries
        (shared with other processes using them), and \(Memprof.formatBytes(stacks)) is stacks.
        VIRT is larger than RSS because it also counts address space reserved but never touched
        (thread stacks, arena reservations, library segments not yet read from disk).
        """)
} catch {
    print("cannot read process memory: \(error)")
}
withExtendedLifetime(kept) {}
