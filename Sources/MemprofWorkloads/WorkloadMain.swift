#if canImport(Glibc)
import Glibc
#endif

/// The command line of `memprof-workload`, shared with `memprof-workload-linked` so that
/// both run the very same code: `NAME [N]` runs a workload and prints what it expects to be
/// counted, as JSON; `pairs THREADS [PAIRS]` prints ns per malloc+free pair.
public enum WorkloadMain {
    public static func run(_ args: [String]) -> Never {
        if args.count >= 2 && args[1] == "pairs" {
            let threads = args.count > 2 ? Int(args[2]) ?? 1 : 1
            let pairs = args.count > 3 ? Int(args[3]) ?? 20_000_000 : 20_000_000
            print(Workloads.mallocFreePairs(threads: threads, pairs: pairs))
            exit(0)
        }
        if args.count >= 2 && args[1] == "objects" {
            // objects [N]: ns per Swift object made and dropped (the census's cost).
            print(Workloads.objectLoop(count: args.count > 2 ? Int(args[2]) ?? 10_000_000 : 10_000_000))
            exit(0)
        }
        guard args.count >= 2, let expected = Workloads.run(args[1], argument: args.count > 2 ? Int(args[2]) ?? 0 : 0) else {
            print("usage: \(args.first ?? "memprof-workload") NAME [N]; NAME one of \(Workloads.names.joined(separator: ", "))")
            exit(2)
        }
        print(expected.json)
        exit(0)
    }
}
