import Synchronization

/// Lets one profile be built at a time. Others wait their turn in order, up to a time
/// limit; when too many already wait, or the wait runs out, they are turned away (the
/// handler answers 429 or 503), so a burst of scrapes never piles up work or memory.
final class ProfileGate: Sendable {
    enum Outcome: Equatable, Sendable {
        /// The caller holds the gate and must call `release()`.
        case acquired
        /// `maxWaiters` callers were already waiting.
        case queueFull
        /// The caller waited `timeout` without getting its turn.
        case timedOut
        /// The caller's task was cancelled while waiting.
        case cancelled
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var busy = false
        var nextID: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())
    /// Most callers waiting at once (the one building is not counted).
    let maxWaiters: Int

    init(maxWaiters: Int) {
        self.maxWaiters = max(0, maxWaiters)
    }

    /// Number of callers waiting now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits until the gate is free (at most `timeout`) and takes it.
    func acquire(timeout: Duration) async -> Outcome {
        let id: UInt64? = state.withLock { s in
            if !s.busy {
                s.busy = true
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return .acquired }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let enqueued: Outcome? = state.withLock { s in
                    // The holder may have left meanwhile.
                    if !s.busy {
                        s.busy = true
                        return .acquired
                    }
                    if Task.isCancelled { return .cancelled }
                    if s.waiters.count >= maxWaiters { return .queueFull }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let enqueued {
                    continuation.resume(returning: enqueued)
                } else {
                    Task { [weak self] in
                        try? await Task.sleep(for: timeout)
                        self?.leave(id, with: .timedOut)
                    }
                }
            }
        } onCancel: {
            leave(id, with: .cancelled)
        }
        return outcome
    }

    /// Hands the gate to the longest waiter, or frees it.
    func release() {
        let next: Waiter? = state.withLock { s in
            precondition(s.busy, "ProfileGate released while free")
            if s.waiters.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume(returning: .acquired)
    }

    /// Removes waiter `id` (if still waiting) and resumes it with `outcome`.
    private func leave(_ id: UInt64, with outcome: Outcome) {
        let waiter: Waiter? = state.withLock { s in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: outcome)
    }

    /// Runs `body` holding the gate, or returns why the gate could not be taken.
    func withGate<T>(timeout: Duration, _ body: () async throws -> T) async rethrows -> Result<T, GateRefusal> {
        let outcome = await acquire(timeout: timeout)
        guard outcome == .acquired else { return .failure(GateRefusal(outcome: outcome)) }
        defer { release() }
        return .success(try await body())
    }

    struct GateRefusal: Error {
        var outcome: Outcome
    }
}
