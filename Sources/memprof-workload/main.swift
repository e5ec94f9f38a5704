// Runs one allocation workload with no profiler linked in: the program `memprof run`,
// heaptrack and valgrind measure in the tests and benchmarks.
// Usage: memprof-workload NAME [N]   (prints what it expects to be counted, as JSON)
//        memprof-workload pairs THREADS [PAIRS]   (ns per malloc+free pair)
import MemprofWorkloads

WorkloadMain.run(CommandLine.arguments)
