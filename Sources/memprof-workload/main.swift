// Runs one allocation workload with no profiler linked in: the program `memprof run`,
// heaptrack and valgrind measure in the tests and benchmarks.
// Usage: memprof-workload NAME [N]   (prints what it expects to be counted, as JSON)
#if canImport(Glibc)
import Glibc
#endif
import MemprofWorkloads

let args = CommandLine.arguments
if args.count >= 2 && args[1] == "pairs" {
    // memprof-workload pairs THREADS [PAIRS]: ns per malloc(24)+free pair.
    let threads = args.count > 2 ? Int(args[2]) ?? 1 : 1
    let pairs = args.count > 3 ? Int(args[3]) ?? 20_000_000 : 20_000_000
    print(Workloads.mallocFreePairs(threads: threads, pairs: pairs))
    exit(0)
}
guard args.count >= 2, let expected = Workloads.run(args[1], argument: args.count > 2 ? Int(args[2]) ?? 0 : 0) else {
    print("usage: memprof-workload NAME [N]; NAME one of \(Workloads.names.joined(separator: ", "))")
    exit(2)
}
print(expected.json)
