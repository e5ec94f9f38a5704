// A service that allocates on several threads and serves memprof's HTTP endpoints, for the
// real-socket tests, the Prometheus scrape script and trying the endpoints by hand:
//
//   swift run memprof-http-demo --address 127.0.0.1:6060
//   go tool pprof -top http://127.0.0.1:6060/debug/pprof/heap
//
// Options: --address HOST:PORT (default $MEMPROF_HTTP, else 127.0.0.1:6060; port 0 picks a
// free one), --threads N allocating threads (default 4), --seconds N to exit after N seconds
// (default: run until killed), --live-samples N to start with N live blocks each recorded
// by the heap profiler (100 stacks x 64 sizes; for measuring a large profile's serve time),
// --keep-mib N to hold N MiB live from the start (a quiet service's steady heap, for the
// footprint and soak tests).
// The first line on stdout is `listening on http://HOST:PORT`.
#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofHTTP

var address = getenv(MemprofServer.addressVariable).flatMap { MemprofServer.parseAddress(String(cString: $0)) }
    ?? (host: "127.0.0.1", port: 6060)
var threads = 4
var seconds = 0
var liveSamples = 0
var keepMiB = 0
let usage = """
    usage: memprof-http-demo [--address HOST:PORT] [--threads N] [--seconds N] [--live-samples N] [--keep-mib N]
      --address HOST:PORT  where to listen (default $MEMPROF_HTTP, else 127.0.0.1:6060; port 0 picks one)
      --threads N          allocating threads (default 4)
      --seconds N          exit after N seconds (default: run until killed)
      --live-samples N     start with N live blocks, each recorded by the heap profiler
      --keep-mib N         hold N MiB live from the start
    The first line on stdout is `listening on http://HOST:PORT`.

    """
var arguments = CommandLine.arguments.dropFirst()
while let option = arguments.popFirst() {
    if option == "--help" || option == "-h" {
        fputs(usage, stdout)
        exit(0)
    }
    guard let value = arguments.popFirst() else {
        fputs("memprof-http-demo: \(option) needs a value\n", stderr)
        exit(2)
    }
    switch option {
    case "--address":
        guard let parsed = MemprofServer.parseAddress(value) else {
            fputs("memprof-http-demo: bad address \(value) (HOST:PORT)\n", stderr)
            exit(2)
        }
        address = parsed
    case "--threads": threads = max(0, Int(value) ?? 4)
    case "--seconds": seconds = max(0, Int(value) ?? 0)
    case "--live-samples": liveSamples = max(0, Int(value) ?? 0)
    case "--keep-mib": keepMiB = max(0, Int(value) ?? 0)
    default:
        fputs("memprof-http-demo: unknown option \(option)\n" + usage, stderr)
        exit(2)
    }
}

if liveSamples > 0 { DemoWorkload.keepSampledBlocks(liveSamples) }
if keepMiB > 0 { DemoWorkload.keepSteadyHeap(mebibytes: keepMiB) }

let token = getenv(MemprofServer.tokenVariable).map { String(cString: $0) }
let configuration = MemprofServer.Configuration(allowNonLoopback: token != nil, handler: .init(token: token))
let server: MemprofServer
switch MemprofServer.start(host: address.host, port: address.port, configuration: configuration) {
case .success(let started): server = started
case .failure(let error):
    fputs("memprof-http-demo: \(error)\n", stderr)
    exit(1)
}
let shownHost = server.localAddress.protocol == .inet6 ? "[\(server.localAddress.ipAddress ?? "::1")]"
    : server.localAddress.ipAddress ?? address.host
print("listening on http://\(shownHost):\(server.port)")
fflush(stdout)

for index in 0..<threads { DemoWorkload.start(thread: index) }
if seconds > 0 {
    sleep(UInt32(seconds))
    exit(0)
}
while true { pause() }
