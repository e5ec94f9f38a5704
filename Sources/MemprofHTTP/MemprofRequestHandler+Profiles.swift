import Logging
import Memprof
import MemprofProfile

extension MemprofRequestHandler {
    /// `/debug/pprof/heap` and `/debug/pprof/allocs`, with Go's `debug`, `gc` and `seconds`.
    func serveProfile(_ kind: ProfileKind, query: QueryString) async -> MemprofResponse {
        let parameters: ProfileQuery
        do {
            parameters = try ProfileQuery(query, maxSeconds: state.configuration.maxDeltaSeconds)
        } catch {
            return .error(error.status, error.message)
        }
        if let seconds = parameters.seconds {
            if kind == .peak || kind == .deltaHeap {
                return .error(400, "the \(kind.rawValue) profile takes no seconds= (it is not a delta over a wait)")
            }
            return await serveDelta(kind, seconds: seconds,
                                    symbolize: parameters.symbolize ?? state.configuration.symbolizeProfiles)
        }
        let state = self.state
        let releaseFirst = parameters.releaseMemoryFirst && kind == .heap
        let asText = parameters.debug != 0
        // Text names functions: it is always symbolized.
        let symbolize = asText || (parameters.symbolize ?? state.configuration.symbolizeProfiles)
        // Requests asking for the same thing while it is being built share the build (each
        // delta_heap request moves the baseline: concurrent ones share one step).
        let key = "\(kind.rawValue) debug=\(parameters.debug) gc=\(releaseFirst) symbolize=\(symbolize)"
        return await state.sharedBuilds.response(for: key) {
            await gated(kind) {
                if releaseFirst {
                    let release = Memprof.releaseFreeMemory()
                    state.logger.debug("gc=1: \(release)")
                }
                defer { if state.configuration.returnFreePagesAfterProfiles { Memprof.returnFreePages() } }
                var profile = try HeapProfile.snapshot(defaultSampleType: kind.defaultSampleType,
                                                       symbolizer: try state.symbolizer(), symbolize: symbolize,
                                                       peak: kind == .peak)
                if kind == .deltaHeap { profile = state.deltaHeap.delta(profile) }
                if asText {
                    return .text(bytes: try profile.legacyHeapTextBytes(trailer: MemStats.read().goStyleTrailer + TypeCensus.read().textSection()))
                }
                return .profile(profile.encoded(gzip: true), filename: kind.rawValue)
            }
        }
    }

    /// Go's delta profile: a profile now, another `seconds` later, and the later one minus
    /// the earlier (every sample type, so inuse values show the change of live memory). The
    /// gate is not held while waiting.
    private func serveDelta(_ kind: ProfileKind, seconds: Int, symbolize: Bool) async -> MemprofResponse {
        let state = self.state
        let limit = state.configuration.maxConcurrentDeltas
        guard state.deltasInProgress.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
            state.deltasInProgress.wrappingSubtract(1, ordering: .relaxed)
            return .error(429, "too many delta profiles in progress (at most \(limit))", headers: [("Retry-After", "\(seconds)")])
        }
        defer { state.deltasInProgress.wrappingSubtract(1, ordering: .relaxed) }
        let first = await gated(kind) { ProfileOrResponse.profile(try snapshot(kind, state, symbolize)) }
        guard case .profile(let base) = first else { return first.response }
        do {
            try await Task.sleep(for: .seconds(seconds))
        } catch {
            return .error(500, "request cancelled")
        }
        let result = await gated(kind) { () -> ProfileOrResponse in
            defer { if state.configuration.returnFreePagesAfterProfiles { Memprof.returnFreePages() } }
            let later = try snapshot(kind, state, symbolize)
            var delta = try later.subtracting(base)
            delta.comments = later.comments  // not both snapshots' figures of the profiler's own work
            delta.timeNanos = later.timeNanos
            delta.durationNanos = later.timeNanos - base.timeNanos
            return .response(.profile(delta.encoded(gzip: true), filename: "\(kind.rawValue)-delta"))
        }
        return result.response
    }

    /// Runs `build` on the blocking pool holding the profile gate; refusals and errors become
    /// 429, 503 or 500 responses.
    private func gated<T: GatedResult>(_ kind: ProfileKind, _ build: @escaping @Sendable () throws -> T) async -> T {
        let state = self.state
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let outcome = try await state.gate.withGate(timeout: state.configuration.profileWaitTimeout) {
                try await BlockingWork.run(build)
            }
            switch outcome {
            case .success(let value):
                state.logger.debug("served \(kind.rawValue) profile", metadata: ["duration": "\(clock.now - start)"])
                return value
            case .failure(let refusal):
                switch refusal.outcome {
                case .queueFull:
                    return T(.error(429, "too many profile requests waiting; retry later", headers: [("Retry-After", "1")]))
                case .timedOut:
                    return T(.error(503, "another profile is being built; retry later", headers: [("Retry-After", "1")]))
                case .cancelled, .acquired:
                    return T(.error(500, "request cancelled"))
                }
            }
        } catch {
            state.logger.error("cannot build the \(kind.rawValue) profile: \(error)")
            return T(.error(500, "failed to collect profile: \(error)"))
        }
    }
}

private func snapshot(_ kind: ProfileKind, _ state: HandlerState, _ symbolize: Bool) throws -> Profile {
    try HeapProfile.snapshot(defaultSampleType: kind.defaultSampleType, symbolizer: try state.symbolizer(),
                             symbolize: symbolize)
}

/// A value `gated` can turn a refusal into.
protocol GatedResult: Sendable {
    init(_ response: MemprofResponse)
}

extension MemprofResponse: GatedResult {
    init(_ response: MemprofResponse) { self = response }
}

/// The first half of a delta: a profile, or the response that ends the request.
enum ProfileOrResponse: GatedResult {
    case profile(Profile)
    case response(MemprofResponse)

    init(_ response: MemprofResponse) { self = .response(response) }

    var response: MemprofResponse {
        switch self {
        case .response(let r): return r
        case .profile: return .error(500, "internal error")
        }
    }
}
