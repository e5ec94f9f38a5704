// The same workloads as memprof-workload, linked with Memprof: prints what the workload
// expects and the hook's counters around it, as one JSON object.
#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofWorkloads

let args = CommandLine.arguments
if getenv("MEMPROF_WORKLOAD_PLAIN") != nil {
    // Exactly what memprof-workload does, with the hook linked in: run under `memprof run`
    // (the linked hook counts into its shared file) to compare with the preloaded one.
    WorkloadMain.run(args)
}
if args.count >= 2 && args[1] == "types" {
    // memprof-workload-linked types [WORKLOAD]: the type census around a workload, as JSON lines.
    let enabled = TypeCensus.enable()
    _ = Workloads.run(args.count > 2 ? args[2] : "census", argument: 0)
    print(typeCensusJSON(TypeCensus.read(), enabled: enabled))
    exit(0)
}
if args.count >= 2 && args[1] == "accuracy" {
    // memprof-workload-linked accuracy [MB [KEEP_ONE_IN]]: sampled totals against the exact counters.
    print(try accuracyRun(megabytes: args.count > 2 ? Int(args[2]) ?? 600 : 600,
                          keepOneIn: args.count > 3 ? UInt64(args[3]) ?? 8 : 8))
    exit(0)
}
if args.count >= 2 && args[1] == "thresholds" {
    print(thresholdsRun())
    exit(0)
}
if args.count >= 2 && args[1] == "rate-signals" {
    // memprof-workload-linked rate-signals [ROUNDS]: rate changes under an allocating signal handler.
    print(rateSignalsRun(rounds: args.count > 2 ? Int(args[2]) ?? 300 : 300))
    exit(0)
}
if args.count >= 2 && args[1] == "plugins" {
    exit(pluginsRun(Array(args.dropFirst(2))))
}
let before = AllocationCounters.read()
guard args.count >= 2, let expected = Workloads.run(args[1], argument: args.count > 2 ? Int(args[2]) ?? 0 : 0) else {
    print("usage: memprof-workload-linked NAME [N]; NAME one of \(Workloads.names.joined(separator: ", "))")
    exit(2)
}
let after = AllocationCounters.read()
let d = after.since(before)
print("{\"expected\":\(expected.json),\"measured\":{\"allocations\":\(d.allocations),\"frees\":\(d.frees),\"requested_bytes\":\(d.requestedBytes),\"failed\":\(after.failedAllocations - before.failedAllocations)},\"hook_active\":\(Memprof.hookStatus().isActive)}")
