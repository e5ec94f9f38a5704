import Synchronization

/// Lets requests for the same profile share one build: a request that arrives while a build
/// with its key is under way waits for that build and gets its response, instead of queueing
/// a build of its own (or being turned away when the queue is full).
///
/// A burst of scrapes of `/debug/pprof/allocs` thus costs one build, whatever its size;
/// the profile gate's queue bounds and time limits still hold for builds that cannot be
/// shared (other profiles, other parameters).
final class SharedBuilds: Sendable {
    private let running = Mutex<[String: Task<MemprofResponse, Never>]>([:])

    init() {}

    /// Builds under `key` now, or joins the build of `key` already under way. The build runs
    /// in a task of its own: a caller that goes away does not cancel it for the others.
    func response(for key: String, _ build: @escaping @Sendable () async -> MemprofResponse) async -> MemprofResponse {
        let task = running.withLock { running -> Task<MemprofResponse, Never> in
            if let current = running[key] { return current }
            let task = Task {
                let response = await build()
                // Later requests start a new build: they ask for the profile as of their time.
                self.running.withLock { _ = $0.removeValue(forKey: key) }
                return response
            }
            running[key] = task
            return task
        }
        return await task.value
    }

    /// Builds under way (for tests).
    var inProgress: Int { running.withLock { $0.count } }
}
