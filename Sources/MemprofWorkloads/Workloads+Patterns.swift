#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A cell to hand pointers between threads: the producer stores, the consumer frees.
private final class Mailbox: @unchecked Sendable {
    var slots: [UnsafeMutableRawPointer?]
    var lock = pthread_mutex_t()
    init(capacity: Int) {
        slots = Array(repeating: nil, count: capacity)
        pthread_mutex_init(&lock, nil)
    }
}

private final class ThreadBox {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Starts a pthread (not a Foundation Thread: its bookkeeping allocates).
func startThread(_ body: @escaping () -> Void) -> pthread_t {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(ThreadBox(body)).toOpaque()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBox>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return thread
}

extension Workloads {
    /// `count` threads each do `operations` mallocs of varied sizes. Half the blocks are
    /// freed at once by their own thread; the other half go to the next thread's mailbox and
    /// are freed there (cross-thread frees).
    static func threads(count: Int, operations: Int) -> Expected {
        let boxes = (0..<count).map { _ in Mailbox(capacity: 1024) }
        let requested = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
        requested.initialize(repeating: 0)
        defer { requested.deallocate() }
        let threads = (0..<count).map { t in
            startThread {
                let mine = boxes[t], next = boxes[(t + 1) % count]
                var req: UInt64 = 0
                for i in 0..<operations {
                    let size = 16 + (i &* 2654435761) % 512
                    req += UInt64(size)
                    let p = malloc(size)!
                    if i & 1 == 0 {
                        free(p)
                        continue
                    }
                    let k = (i >> 1) % 1024
                    pthread_mutex_lock(&next.lock)
                    let displaced = next.slots[k]  // still unclaimed: one of ours
                    next.slots[k] = p
                    pthread_mutex_unlock(&next.lock)
                    free(displaced)
                    pthread_mutex_lock(&mine.lock)
                    let incoming = mine.slots[(k + 512) % 1024]  // the previous thread's
                    mine.slots[(k + 512) % 1024] = nil
                    pthread_mutex_unlock(&mine.lock)
                    free(incoming)
                }
                requested[t] = req
            }
        }
        for t in threads { pthread_join(t, nil) }
        for box in boxes { for p in box.slots { free(p) } }
        var e = Expected()
        e.allocations = UInt64(count * operations)
        e.frees = e.allocations
        e.requestedBytes = requested.reduce(0, +)
        return e
    }

    /// Forks while four threads allocate; the child allocates and exits (with `exit`, which
    /// runs atexit handlers, when `childCallsExit`). Must not hang.
    static func forkWhileAllocating(rounds: Int, childCallsExit: Bool = false) -> Expected {
        let stop = StopFlag()
        let workers = (0..<4).map { _ in
            startThread {
                while !stop.isSet {
                    free(malloc(64))
                    free(malloc(100_000))
                }
            }
        }
        for _ in 0..<rounds {
            let pid = fork()
            if pid == 0 {
                for _ in 0..<1000 { free(malloc(32)) }
                if childCallsExit { exit(0) }
                _exit(0)
            }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        stop.set()
        for w in workers { pthread_join(w, nil) }
        return Expected()  // counts depend on timing; the point is that nothing hangs
    }

    /// Each C entry point once, with known sizes.
    static func cCalls() -> Expected {
        var e = Expected()
        func got(_ n: UInt64) { e.allocations += 1; e.requestedBytes += n }
        let a = malloc(100)!; got(100)
        let b = calloc(10, 30)!; got(300)
        var c = realloc(nil, 50)!; got(50)
        c = realloc(c, 5000)!; got(5000); e.frees += 1
        var d: UnsafeMutableRawPointer? = nil
        posix_memalign(&d, 64, 200); got(200)
        let f = aligned_alloc(128, 256)!; got(256)
        let g = cMemalign(32, 70)!; got(70)
        let h = valloc(10)!; got(10)
        let i = cPvalloc(10)!; got(10)
        let j = reallocarray(nil, 4, 25)!; got(100)
        let z = malloc(0)!; got(0)
        for p in [a, b, c, d!, f, g, h, i, j, z] { free(p); e.frees += 1 }
        let k = malloc(10)!; got(10)
        _ = realloc(k, 0); e.frees += 1
        // Impossible sizes fail and count nothing.
        _ = malloc(Int.max)
        _ = calloc(Int.max, 2)
        _ = reallocarray(nil, Int.max, 2)
        return e
    }

    /// Allocation-heavy Swift: class instances, arrays, strings, dictionaries.
    static func churn(iterations: Int) -> Expected {
        final class Node { var value: Int; var next: Node?; init(_ v: Int, _ n: Node?) { value = v; next = n } }
        var checksum = 0
        var keep: [Int: String] = [:]
        for i in 0..<iterations {
            let n = Node(i, Node(i + 1, nil))
            var a = [Int](repeating: i, count: 8 + i % 32)
            a.append(n.value)
            let s = "item-\(i)-" + String(repeating: "x", count: i % 40)
            checksum &+= a.count &+ s.utf8.count &+ (n.next?.value ?? 0)
            if i % 64 == 0 { keep[i % 4096] = s }
        }
        if checksum == 42 { print(keep.count) }
        return Expected()
    }

    /// The seed article's program: ten 100,000,000-byte buffers, one of them kept.
    static func seed() -> Expected {
        var kept: UnsafeMutableRawPointer?
        var e = Expected()
        for i in 0..<10 {
            let p = bigBytes()
            e.allocations += 1
            e.requestedBytes += 100_000_000
            if i == 9 { kept = p } else { free(p); e.frees += 1 }
        }
        keptSeedBuffer = kept
        return e
    }
}

/// The buffer the seed workload keeps alive.
nonisolated(unsafe) public var keptSeedBuffer: UnsafeMutableRawPointer?

@inline(never)
func bigBytes() -> UnsafeMutableRawPointer {
    let p = malloc(100_000_000)!
    memset(p, 1, 100_000_000)
    return p
}

/// A flag set once by one thread and polled by others.
final class StopFlag: @unchecked Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

// memalign and pvalloc live in <malloc.h>, which Glibc's module does not export.
private typealias AlignFn = @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
private typealias SizeFn = @convention(c) (Int) -> UnsafeMutableRawPointer?
private let cMemalign = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memalign")!, to: AlignFn.self)
private let cPvalloc = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pvalloc")!, to: SizeFn.self)

extension Workloads {
    /// The heap at its peak: 24 MiB kept to the end by `keepSessions`, 96 MiB held for a
    /// moment by `buildReport` (blocks of 64 KiB).
    static func peakPattern() -> Expected {
        var e = Expected()
        // The table that holds the sessions is allocated here, not in keepSessions.
        let table = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 384)
        keptForever = UnsafeMutableRawPointer(table)
        keepSessions(table, &e)
        buildReport(&e)
        return e
    }

    @inline(never)
    static func keepSessions(_ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ e: inout Expected) {
        for i in 0..<384 {
            table[i] = memset(malloc(65_536), 1, 65_536)
            e.allocations += 1
        }
    }

    @inline(never)
    static func buildReport(_ e: inout Expected) {
        let blocks = (0..<1536).map { _ in memset(malloc(65_536), 2, 65_536) }
        e.allocations += UInt64(blocks.count)
        for b in blocks { free(b) }
        e.frees += UInt64(blocks.count)
    }

    /// `count` allocate(1000) + deallocate pairs in `churnTemporaries` (each block freed before
    /// the thread allocates anything else), and 100 blocks kept to the end by `keepToExit`.
    static func temporaries(count: Int) -> Expected {
        var e = Expected()
        churnTemporaries(count)
        let table = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 100)
        keptForever = UnsafeMutableRawPointer(table)
        keepToExit(table, 100)
        e.allocations = UInt64(count + 100)
        e.frees = UInt64(count)
        return e
    }

    @inline(never)
    static func churnTemporaries(_ count: Int) {
        for i in 0..<count {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 1000, alignment: 8)
            p.storeBytes(of: UInt8(truncatingIfNeeded: i), as: UInt8.self)
            benchmarkSink = p
            p.deallocate()
        }
    }

    @inline(never)
    static func keepToExit(_ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ count: Int) {
        for i in 0..<count { table[i] = UnsafeMutableRawPointer.allocate(byteCount: 1000, alignment: 8) }
    }
}
