#if canImport(Glibc)
import Glibc
#endif
import Memprof

/// What the demo's threads do: keep a rotating set of live objects of a few shapes (so the
/// heap profile has inuse memory with distinct stacks) and churn short-lived ones (so allocs
/// grows), at a modest pace.
enum DemoWorkload {
    final class Node {
        var payload: [UInt64]
        var next: Node?
        init(size: Int) { payload = [UInt64](repeating: 7, count: size) }
    }

    private final class Box {
        let index: Int
        init(_ index: Int) { self.index = index }
    }

    static func start(thread index: Int) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(index)).toOpaque()
        _ = pthread_create(&thread, &attributes, { raw in
            let index = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().index
            DemoWorkload.run(seed: index)
        }, box)
        pthread_attr_destroy(&attributes)
    }

    static func run(seed: Int) -> Never {
        var keptNodes = [Node?](repeating: nil, count: 512)
        var keptBuffers = [UnsafeMutableRawPointer?](repeating: nil, count: 256)
        var random = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
        while true {
            for _ in 0..<200 {
                random ^= random << 13
                random ^= random >> 7
                random ^= random << 17
                let pick = Int(random % 1024)
                switch pick % 4 {
                case 0: keptNodes[pick % keptNodes.count] = makeNode(size: 16 + pick % 64)
                case 1: keepBuffer(&keptBuffers, at: pick % keptBuffers.count, bytes: 1024 + pick * 16)
                default: churn(count: 8 + pick % 16)
                }
            }
            usleep(10_000)
        }
    }

    /// Keeps `count` blocks, every one sampled (rate 1 while allocating), from 100 stacks
    /// (recursion depths) and 64 sizes; then restores the sampling rate.
    static func keepSampledBlocks(_ count: Int) {
        let saved = HeapProfile.samplingRate
        HeapProfile.samplingRate = 1
        sampledBlocks.reserveCapacity(count)
        for i in 0..<count { sampledBlocks.append(sampledBlock(depth: i % 100, size: 64 + 16 * ((i / 100) % 64))) }
        HeapProfile.samplingRate = saved
    }

    nonisolated(unsafe) static var sampledBlocks: [UnsafeMutableRawPointer?] = []
    nonisolated(unsafe) static var steadyHeap: [Node] = []

    /// Keeps about `mebibytes` MiB live in nodes of 1 to 8 KiB, written once (resident).
    static func keepSteadyHeap(mebibytes: Int) {
        var total = 0
        var i = 0
        while total < mebibytes << 20 {
            let words = 128 * (1 + i % 8)
            steadyHeap.append(makeNode(size: words))
            total += words * 8
            i += 1
        }
    }
    nonisolated(unsafe) static var depthSink = 0

    @inline(never)
    static func sampledBlock(depth: Int, size: Int) -> UnsafeMutableRawPointer? {
        guard depth > 0 else { return malloc(size) }
        let block = sampledBlock(depth: depth - 1, size: size)
        depthSink &+= 1  // not a tail call: each depth keeps its frame
        return block
    }

    @inline(never)
    static func makeNode(size: Int) -> Node {
        Node(size: size)
    }

    @inline(never)
    static func keepBuffer(_ buffers: inout [UnsafeMutableRawPointer?], at index: Int, bytes: Int) {
        free(buffers[index])
        let block = malloc(bytes)
        if let block { memset(block, 1, bytes) }
        buffers[index] = block
    }

    @inline(never)
    static func churn(count: Int) {
        var strings: [String] = []
        for i in 0..<count { strings.append("short-lived string number \(i)") }
        if strings.count > 1_000_000 { print(strings.count) }
    }
}
