#if canImport(Glibc)
import Glibc
#endif

// Swift objects with known counts per type, for the type census (issue 11).

/// A class instance: 10,000 made, 3,000 kept.
public final class Customer {
    let id: Int
    init(id: Int) { self.id = id }
}

/// 12,000 kept in one array (one `_ContiguousArrayStorage<Order>`).
public final class Order {
    let id: Int
    let cents: Int
    init(id: Int, cents: Int) { self.id = id; self.cents = cents }
}

/// A generic class: 5,000 `Box<Int>` kept.
public final class Box<T> {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A small class for the cost benchmark (one object made and dropped per iteration).
public final class Probe {
    var value: Int
    init(_ value: Int) { self.value = value }
}

nonisolated(unsafe) var keptCustomers: [Customer] = []
nonisolated(unsafe) var keptOrders: [Order] = []
nonisolated(unsafe) var keptBoxes: [Box<Int>] = []
// Every object goes through here, so that none is promoted to the stack.
nonisolated(unsafe) var lastObject: AnyObject?
nonisolated(unsafe) var handedOver: [Customer] = []
nonisolated(unsafe) var keptClosures: [() -> Int] = []
nonisolated(unsafe) var keptGenericClosures: [(String) -> String] = []

extension Workloads {
    /// 10,000 Customer (3,000 kept; 2,000 of the others freed by another thread), 12,000 Order
    /// kept in one array, 5,000 Box<Int> kept. Counts are the census's to check; `Expected`
    /// holds nothing.
    static func census() -> Expected {
        keptCustomers.reserveCapacity(3_000)
        handedOver.reserveCapacity(2_000)
        for i in 0..<10_000 {
            let c = Customer(id: i)
            lastObject = c
            if i % 10 < 3 {
                keptCustomers.append(c)
            } else if i % 10 < 5 {
                handedOver.append(c)
            }
        }
        lastObject = nil
        // The other thread drops the last references to 2,000 customers.
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            handedOver.removeAll(keepingCapacity: true)
            return nil
        }, nil)
        pthread_join(thread, nil)
        keptOrders.reserveCapacity(12_000)
        for i in 0..<12_000 {
            let o = Order(id: i, cents: i * 7)
            lastObject = o
            keptOrders.append(o)
        }
        keptBoxes.reserveCapacity(5_000)
        for i in 0..<5_000 {
            let b = Box(i)
            lastObject = b
            keptBoxes.append(b)
        }
        lastObject = nil
        // 100 escaping closures, each capturing a variable it changes: a box each.
        keptClosures.reserveCapacity(100)
        for i in 0..<100 { keptClosures.append(counter(from: i)) }
        // 50 more whose variable has a generic type: swift_allocBox makes those boxes.
        keptGenericClosures.reserveCapacity(50)
        for i in 0..<50 { keptGenericClosures.append(latest(String(i))) }
        return Expected()
    }

    @inline(never)
    static func counter(from start: Int) -> () -> Int {
        var value = start
        return {
            value += 1
            return value
        }
    }

    @inline(never)
    static func latest<T>(_ first: T) -> (T) -> T {
        var value = first
        return { next in
            let previous = value
            value = next
            return previous
        }
    }

    /// `count` Probe objects, each made and dropped: ns per object (allocation + free).
    public static func objectLoop(count: Int) -> Double {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        for i in 0..<count {
            let p = Probe(i)
            lastObject = p
        }
        lastObject = nil
        clock_gettime(CLOCK_MONOTONIC, &end)
        let ns = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
        return ns / Double(max(count, 1))
    }

    /// Loads the library named by MEMPROF_WORKLOAD_PLUGIN, calls its
    /// `plugin_make(count, keep)` (C name) to make `count` objects of a class of its own and
    /// keep every tenth, then unloads it.
    static func plugin(count: Int) -> Expected {
        guard let path = getenv("MEMPROF_WORKLOAD_PLUGIN"), let handle = dlopen(path, RTLD_NOW) else {
            fputs("plugin: cannot load MEMPROF_WORKLOAD_PLUGIN: \(String(cString: dlerror()))\n", stderr)
            exit(3)
        }
        typealias Make = @convention(c) (Int, Int) -> Int
        guard let symbol = dlsym(handle, "plugin_make") else { exit(3) }
        let kept = unsafeBitCast(symbol, to: Make.self)(count, 10)
        dlclose(handle)
        var e = Expected()
        e.allocations = UInt64(kept)
        return e
    }

    /// `threads` threads alive at once (more than the census has tables for), each making 100
    /// Customer and keeping 10 in a preallocated buffer (no other Swift object).
    static func censusThreads(threads: Int) -> Expected {
        censusKept = UnsafeMutablePointer<Customer?>.allocate(capacity: threads * 10)
        censusKept.initialize(repeating: nil, count: threads * 10)
        // One slot per thread, initialized: threads that shared a slot raced on its
        // reference count (and the first store released whatever the fresh memory held),
        // which crashed the program now and then, with or without the hook.
        lastObjects = UnsafeMutablePointer<AnyObject?>.allocate(capacity: threads)
        lastObjects.initialize(repeating: nil, count: threads)
        pthread_barrier_init(&censusBarrier, nil, UInt32(threads + 1))
        var ids = [pthread_t](repeating: pthread_t(), count: threads)
        for i in 0..<threads {
            pthread_create(&ids[i], nil, { raw in
                let index = Int(bitPattern: raw)
                pthread_barrier_wait(&censusBarrier)  // every thread alive before any allocates
                for j in 0..<100 {
                    let c = Customer(id: j)
                    lastObjects[index] = c
                    if j % 10 == 0 { censusKept[index * 10 + j / 10] = c }
                }
                lastObjects[index] = nil
                pthread_barrier_wait(&censusBarrier)  // none exits before all are done
                return nil
            }, UnsafeMutableRawPointer(bitPattern: i))
        }
        pthread_barrier_wait(&censusBarrier)
        pthread_barrier_wait(&censusBarrier)
        for id in ids { pthread_join(id, nil) }
        return Expected()
    }
}

nonisolated(unsafe) var censusKept: UnsafeMutablePointer<Customer?> = UnsafeMutablePointer(bitPattern: 8)!
nonisolated(unsafe) var censusBarrier = pthread_barrier_t()
nonisolated(unsafe) var lastObjects: UnsafeMutablePointer<AnyObject?> = UnsafeMutablePointer(bitPattern: 8)!
