import Logging
import Memprof
import MemprofSymbolication
import Prometheus
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The memprof routes as a plain async function from request to response, with no tie to a
/// server: `MemprofServer` runs it on SwiftNIO, and a Vapor or Hummingbird application can
/// mount it on its own router (see the module documentation).
///
/// Routes (Go's paths and semantics):
/// - `/debug/pprof/`: an index page; `/debug/pprof` redirects there.
/// - `/debug/pprof/heap`: gzipped profile.proto, default sample type inuse_space;
///   `/debug/pprof/allocs`: the same data, default sample type alloc_space.
///   `/debug/pprof/peak`: the heap at its high-water mark (`HeapProfile.writePeak(to:)`).
///   `/debug/pprof/delta_heap`: Pyroscope's godeltaprof: alloc_* since the previous request.
///   `?debug=1` (or 2): Go's legacy text with a MemStats block. `?gc=1` (heap only): give
///   free memory back to the OS first (`Memprof.releaseFreeMemory()`, glibc's `malloc_trim`),
///   our counterpart of Go's forced GC. `?seconds=N`: the profile N seconds later minus the
///   profile now (400 with `debug`, or beyond `maxDeltaSeconds`). `?symbolize=0`: addresses,
///   mappings and build IDs only (`memprof symbolize` names them); `?symbolize=1` names them
///   even when `symbolizeProfiles` is off.
/// - `/debug/pprof/cmdline`: the arguments, separated by NUL bytes.
/// - `/debug/pprof/symbol`: Go's symbol service, which `go tool pprof` asks (POST, addresses
///   joined by `+`) for addresses a profile left without a function name.
/// - `/debug/memstats`: JSON, see `MemStatsDocument`'s fields in the module documentation.
/// - `/metrics`: the Prometheus text format, see `MemprofMetricsCollector`.
///
/// Only GET and HEAD are served, and POST for the symbol service (405 otherwise). With a token configured, every route needs
/// `Authorization: Bearer <token>` (401 otherwise). One profile is built at a time: others
/// wait up to `profileWaitTimeout` in a queue of at most `maxWaitingProfiles`, and get 503
/// (waited too long) or 429 (queue full) with `Retry-After: 1`. Requests for the same profile
/// (route and parameters) that arrive while it is being built share that build and its
/// response, so a burst of scrapes costs one build and none is turned away.
///
/// Copies share their state (the symbolizer, the gate, the metrics), so create one handler and
/// use it for every request.
public struct MemprofRequestHandler: Sendable {
    /// Settings of the routes.
    public struct Configuration: Sendable {
        /// A token every request must carry as `Authorization: Bearer <token>`; nil or empty:
        /// none needed. `MemprofServer` requires one when it listens beyond loopback.
        public var token: String?
        /// The longest `?seconds=N` accepted.
        public var maxDeltaSeconds: Int
        /// How long a profile request waits for another to finish before getting 503.
        public var profileWaitTimeout: Duration
        /// Most profile requests waiting at once; more get 429.
        public var maxWaitingProfiles: Int
        /// Most `?seconds=N` requests in progress at once; more get 429.
        public var maxConcurrentDeltas: Int
        /// The registry `/metrics` records into and renders; nil: a registry of its own.
        public var metricsRegistry: PrometheusCollectorRegistry?
        /// False: profiles carry addresses, mappings and build IDs only (the cheapest for a
        /// production process: no symbol table is read), unless a request asks
        /// `symbolize=1`; `memprof symbolize` (and every `memprof` report) names them from
        /// the binaries on disk. Default true, or `MEMPROF_HTTP_SYMBOLIZE=0`.
        public var symbolizeProfiles: Bool
        /// True: after building a profile, the free pages of malloc's arenas are given back
        /// to the OS (`Memprof.returnFreePages()`, glibc's `malloc_trim(0)`, milliseconds),
        /// so that a build's transient memory (proto, text, DWARF walked) never stays in RSS:
        /// without it an idle service scraped for hours kept tens of MiB of free arena pages.
        /// It also returns the program's own free pages, which changes what the program's
        /// RSS would have been without memprof: so it is off by default (11 profiles add
        /// about 1.1 MiB of heap and 2.4 MiB of RSS without it), an operator's choice.
        public var returnFreePagesAfterProfiles: Bool

        /// Creates a configuration; the defaults suit a service scraped by a few tools.
        public init(token: String? = nil, maxDeltaSeconds: Int = 300, profileWaitTimeout: Duration = .seconds(5),
                    maxWaitingProfiles: Int = 8, maxConcurrentDeltas: Int = 4,
                    metricsRegistry: PrometheusCollectorRegistry? = nil,
                    symbolizeProfiles: Bool = MemprofRequestHandler.symbolizeFromEnvironment,
                    returnFreePagesAfterProfiles: Bool = false) {
            self.token = token
            self.maxDeltaSeconds = maxDeltaSeconds
            self.profileWaitTimeout = profileWaitTimeout
            self.maxWaitingProfiles = maxWaitingProfiles
            self.maxConcurrentDeltas = maxConcurrentDeltas
            self.metricsRegistry = metricsRegistry
            self.symbolizeProfiles = symbolizeProfiles
            self.returnFreePagesAfterProfiles = returnFreePagesAfterProfiles
        }
    }

    /// `MEMPROF_HTTP_SYMBOLIZE=0` (or `false`, `off`, `no`): serve profiles unsymbolized.
    public static var symbolizeFromEnvironment: Bool {
        guard let value = getenv("MEMPROF_HTTP_SYMBOLIZE").map({ String(cString: $0).lowercased() }) else { return true }
        return !["0", "false", "off", "no"].contains(value)
    }

    let state: HandlerState

    /// Creates a handler. Nothing is read until the first request.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "memprof.http")) {
        state = HandlerState(configuration: configuration, logger: logger)
    }

    /// The settings in force.
    public var configuration: Configuration { state.configuration }

    /// The collector behind `/metrics`.
    public var metrics: MemprofMetricsCollector { state.metrics }

    /// The paths this handler serves (prefixes end with `/`): mount these on a router.
    public static let paths = ["/debug/pprof", "/debug/pprof/", "/debug/memstats", "/debug/types", "/metrics"]

    /// Answers one request. Never throws: failures become 4xx/5xx responses.
    public func handle(_ request: MemprofRequest) async -> MemprofResponse {
        if let token = state.token, !token.accepts(request) { return BearerToken.challenge }
        let route = Route(path: request.path)
        let allowed = route == .symbol ? ["GET", "HEAD", "POST"] : ["GET", "HEAD"]
        guard allowed.contains(request.method) else {
            if case .notFound = route { return .error(404, "404 page not found") }
            return .error(405, "method not allowed", headers: [("Allow", allowed.joined(separator: ", "))])
        }
        let query: QueryString
        do {
            query = try QueryString(request.rawQuery)
        } catch {
            return .error(400, error.message)
        }
        switch route {
        case .index:
            return .text(IndexPage.html, contentType: "text/html; charset=utf-8")
        case .redirectToIndex:
            return MemprofResponse(status: 301, headers: [("Location", "/debug/pprof/"),
                                                          ("Content-Type", "text/plain; charset=utf-8")],
                                   body: Array("Moved Permanently: /debug/pprof/\n".utf8))
        case .cmdline:
            return .text(CommandLine.arguments.joined(separator: "\u{0}"))
        case .symbol:
            return await serveSymbols(request.method == "POST" ? request.body : Array(request.rawQuery.utf8))
        case .profile(let kind):
            return await serveProfile(kind, query: query)
        case .memstats:
            return await serveMemStats()
        case .types:
            return await serveTypes(query: query)
        case .metrics:
            return await serveMetrics()
        case .unknownProfile:
            return .error(404, "Unknown profile")
        case .notFound:
            return .error(404, "404 page not found")
        }
    }

    private func serveMemStats() async -> MemprofResponse {
        do {
            let body = try await BlockingWork.run {
                let stats = MemStats.read()
                let process = Result { try ProcessMemory.read() }
                return MemStatsDocument.render(stats: stats, samplingRate: HeapProfile.samplingRate, process: process)
            }
            return MemprofResponse(status: 200, headers: [("Content-Type", "application/json"),
                                                          ("X-Content-Type-Options", "nosniff")], body: body)
        } catch {
            return .error(503, "shutting down")
        }
    }

    private func serveMetrics() async -> MemprofResponse {
        let collector = state.metrics
        do {
            let body = try await BlockingWork.run { collector.exposition() }
            return MemprofResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                   body: body)
        } catch {
            return .error(503, "shutting down")
        }
    }
}

/// What a path names.
enum Route: Equatable {
    case index, redirectToIndex, cmdline, symbol, memstats, types, metrics, unknownProfile, notFound
    case profile(ProfileKind)

    init(path: Substring) {
        switch path {
        case "/debug/pprof/": self = .index
        case "/debug/pprof": self = .redirectToIndex
        case "/debug/pprof/heap": self = .profile(.heap)
        case "/debug/pprof/allocs": self = .profile(.allocs)
        case "/debug/pprof/peak": self = .profile(.peak)
        case "/debug/pprof/delta_heap": self = .profile(.deltaHeap)
        case "/debug/pprof/cmdline": self = .cmdline
        case "/debug/pprof/symbol": self = .symbol
        case "/debug/memstats": self = .memstats
        case "/debug/types": self = .types
        case "/metrics": self = .metrics
        default: self = path.hasPrefix("/debug/pprof/") ? .unknownProfile : .notFound
        }
    }
}

/// The views of the heap profile: Go's two, and the heap at its peak.
enum ProfileKind: String, Sendable {
    case heap, allocs, peak
    case deltaHeap = "delta_heap"

    /// The sample type tools show first: inuse_space (the builder names it: with the
    /// temporaries after Go's four types, "the last" would not be it), alloc_space for allocs.
    var defaultSampleType: String { self == .allocs ? "alloc_space" : "" }
}

/// What the copies of one handler share.
final class HandlerState: Sendable {
    let configuration: MemprofRequestHandler.Configuration
    let logger: Logger
    let token: BearerToken?
    let gate: ProfileGate
    let sharedBuilds = SharedBuilds()
    let deltaHeap = DeltaHeapBaseline()
    let metrics: MemprofMetricsCollector
    let deltasInProgress = Atomic<Int>(0)

    init(configuration: MemprofRequestHandler.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        token = BearerToken(configuration.token)
        gate = ProfileGate(maxWaiters: configuration.maxWaitingProfiles)
        metrics = MemprofMetricsCollector(registry: configuration.metricsRegistry ?? PrometheusCollectorRegistry())
    }

    /// The process's shared symbolizer (`ProfilerSymbols`): what it keeps is measured and
    /// shown as the profiler's own memory.
    func symbolizer() throws -> Symbolizer {
        try ProfilerSymbols.shared()
    }
}
