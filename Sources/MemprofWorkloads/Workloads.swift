#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var keptBlocks: [UnsafeMutableRawPointer?] = []

/// Allocation patterns with known exact counts, shared by the tests and benchmarks. This
/// module does not depend on Memprof: the same code runs linked with the hook
/// (`memprof-workload-linked`) and without it, under LD_PRELOAD (`memprof-workload`).
public enum Workloads {
    /// What a workload did, as counted by the workload itself.
    public struct Expected: Sendable {
        public var allocations: UInt64 = 0
        public var frees: UInt64 = 0
        public var requestedBytes: UInt64 = 0
        public init() {}
        public var json: String {
            "{\"allocations\":\(allocations),\"frees\":\(frees),\"requested_bytes\":\(requestedBytes)}"
        }
    }

    /// Names accepted by `run(_:argument:)`.
    public static let names = ["threads", "fork", "c-calls", "churn", "seed", "none", "_exit", "sigterm", "sigint", "sigkill", "signal-dump", "c-loop", "fork-exit", "mt-churn", "st-churn", "keep", "grow", "peak", "temporaries", "census", "plugin", "census-threads"]

    /// Runs a workload by name; returns nil for an unknown name.
    public static func run(_ name: String, argument: Int) -> Expected? {
        switch name {
        case "threads": return threads(count: 8, operations: argument > 0 ? argument : 1_000_000)
        case "fork": return forkWhileAllocating(rounds: argument > 0 ? argument : 20)
        case "fork-exit": return forkWhileAllocating(rounds: argument > 0 ? argument : 20, childCallsExit: true)
        case "c-calls": return cCalls()
        case "peak": return peakPattern()
        case "temporaries": return temporaries(count: argument > 0 ? argument : 20_000)
        case "census": return census()
        case "census-threads": return censusThreads(threads: argument > 0 ? argument : 160)
        case "plugin": return plugin(count: argument > 0 ? argument : 1_000)
        case "grow":
            // `argument` blocks of 1 MiB, one every 2 ms, all kept; then 300 ms of quiet, so a
            // watcher sees the heap cross any size on the way.
            for _ in 0..<max(argument, 1) {
                keptBlocks.append(memset(malloc(1 << 20), 1, 1 << 20))
                usleep(2_000)
            }
            usleep(300_000)
            return Expected()
        case "keep":
            // `argument` blocks of 16-64 bytes, all live at exit (an array of pointers holds them).
            let count = max(argument, 1)
            let table = malloc(count * MemoryLayout<UnsafeMutableRawPointer?>.stride)!
                .bindMemory(to: UnsafeMutableRawPointer?.self, capacity: count)
            var e = Expected()
            e.allocations = UInt64(count) + 1
            e.requestedBytes = UInt64(count * MemoryLayout<UnsafeMutableRawPointer?>.stride)
            for i in 0..<count {
                let size = 16 + (i % 4) * 16
                table[i] = malloc(size)
                e.requestedBytes += UInt64(size)
            }
            keptForever = UnsafeMutableRawPointer(table)
            return e
        case "mt-churn": return threadedChurn(threads: 8, operations: argument > 0 ? argument : 1_000_000)
        case "st-churn": return threadedChurn(threads: 1, operations: argument > 0 ? argument : 8_000_000)
        case "churn": return churn(iterations: argument > 0 ? argument : 2_000_000)
        case "seed": return seed()
        case "none": return Expected()
        case "c-loop":
            // malloc, realloc and free only: no Swift container, no runtime work.
            var e = Expected()
            for i in 0..<max(argument, 1) {
                let p = malloc(16 + i % 1000)
                let q = realloc(p, 16 + i % 3000)
                free(q)
                e.allocations += 2
                e.frees += 2
                e.requestedBytes += UInt64(32 + i % 1000 + i % 3000)
            }
            return e
        case "signal-dump":
            // Keeps a 10 MB block, raises SIGUSR2 (MEMPROF_PROFILE_SIGNAL=USR2 writes a
            // profile from another thread) and gives that thread time to finish.
            keptBlocks.append(memset(malloc(10_000_000), 1, 10_000_000))
            raise(SIGUSR2)
            usleep(UInt32(max(argument, 1500) * 1000))
            return Expected()
        case "_exit", "sigterm", "sigint", "sigkill":
            // Allocate `argument` blocks of 1000 bytes, keep them, then end abruptly.
            for _ in 0..<max(argument, 1) { keptBlocks.append(malloc(1000)) }
            switch name {
            case "_exit": _exit(5)
            case "sigterm": raise(SIGTERM)
            case "sigint": raise(SIGINT)
            default: raise(SIGKILL)
            }
            return nil
        default: return nil
        }
    }
}
