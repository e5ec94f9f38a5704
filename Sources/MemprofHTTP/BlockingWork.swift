import NIOPosix

/// Runs slow, blocking work (building a profile, reading `/proc`, `malloc_trim`) on NIO's
/// shared blocking thread pool, so that neither an event loop nor Swift's cooperative
/// threads stall on it.
enum BlockingWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
